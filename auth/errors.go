package auth

import (
	"errors"

	"github.com/rampart-go/rampart"
)

// Stable codes sent to clients in a GraphQL error's extensions.code.
const (
	// CodeUnauthenticated is sent with every 401: the credential was present
	// but is not valid, has expired or was revoked. The reason is logged,
	// never sent.
	//
	// Deprecated: use rampart.CodeUnauthenticated, the same string.
	CodeUnauthenticated = rampart.CodeUnauthenticated
	// CodeAuthUnavailable is sent with a 503 when a credential could not be
	// checked because a backend (such as a revocation store) failed.
	CodeAuthUnavailable = "AUTH_UNAVAILABLE"
)

// Messages sent to clients with the codes above. They never say why.
const (
	// MessageUnauthenticated is the body message of every 401.
	MessageUnauthenticated = "invalid or expired credential"
	// MessageAuthUnavailable is the body message of a 503.
	MessageAuthUnavailable = "authentication temporarily unavailable"
)

var (
	// ErrUnavailable means a credential could not be checked because a
	// backend failed. Authenticators wrap it together with ErrInvalidToken,
	// so callers that only know the Authenticator contract still fail
	// closed; Middleware answers 503 instead of 401 for it.
	ErrUnavailable = errors.New("auth: credential check unavailable")
	// ErrConfig means a constructor was given an unsafe or inconsistent
	// configuration.
	//
	// Deprecated: test with errors.Is(err, rampart.ErrConfig); ErrConfig is
	// the same value.
	ErrConfig = rampart.ErrConfig
	// ErrNotFound is returned by credential stores (refresh.Store,
	// apikey.Store) when no record matches.
	ErrNotFound = errors.New("auth: not found")
)
