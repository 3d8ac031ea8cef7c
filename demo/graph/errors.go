package graph

import (
	"errors"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/demo/graph/store"
)

// Error codes the demo's resolvers answer with in extensions.code.
const (
	CodeInvalidCredentials = "INVALID_CREDENTIALS"
	CodeConflict           = "CONFLICT"
)

// publicError is an error whose message and code are meant for the client.
func publicError(code, msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
}

func errUnauthenticated() error {
	return publicError(rampart.CodeUnauthenticated, "authentication required")
}
func errForbidden() error { return publicError(rampart.CodeForbidden, "forbidden") }
func errNotFound() error  { return publicError(rampart.CodeNotFound, "not found") }

// storeError maps store errors to client errors; anything unexpected is
// returned as is, to be masked by the error presenter and logged.
func storeError(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errNotFound()
	case errors.Is(err, store.ErrBadCursor):
		return publicError(rampart.CodeBadUserInput, "invalid pagination cursor")
	case errors.Is(err, store.ErrConflict):
		return publicError(CodeConflict, "conflict")
	}
	return err
}
