// Package graph implements the demo schema's resolvers over the SQLite store.
// Authorization lives in the schema's directives; the resolvers trust that a
// field they run for was allowed, and keep only the checks that depend on
// data (who may follow whom).
package graph

import (
	"log/slog"

	"github.com/rampart-go/rampart/demo/graph/store"
	"github.com/rampart-go/rampart/upload"
)

// Resolver is the root resolver. Build it with every field set.
type Resolver struct {
	Store    *store.Store
	Accounts *Accounts
	Broker   *Broker
	// Uploads checks files (size, type sniffed from the bytes, scanner).
	Uploads *upload.Guard
	// Sessions closes live WebSockets when sessions are revoked; nil
	// refuses revokeSessions.
	Sessions *Sessions
	Logger   *slog.Logger
}

func (r *Resolver) log() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}
