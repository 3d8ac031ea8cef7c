package refresh_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps auth/refresh on the standard library and auth alone: never
// golang-jwt, the password libraries, Redis, GraphQL or WebSocket code.
func TestDeps(t *testing.T) {
	t.Parallel()
	depstest.AllowOnly(t, "github.com/rampart-go/rampart/auth/refresh", "standard library and auth only (a Redis store belongs in auth/authredis)",
		"github.com/rampart-go/rampart", "github.com/rampart-go/rampart/auth",
		// auth's outage log line: standard library only
		"github.com/rampart-go/rampart/internal/logthrottle",
	)
}
