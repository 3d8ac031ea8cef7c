package directives

import (
	"errors"
	"math"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
)

// Clients receive the shared codes of package rampart in extensions.code:
// rampart.CodeUnauthenticated (no caller, or an expired credential),
// rampart.CodeForbidden (a missing role or scope, or an @owner field of an
// object the caller does not own), rampart.CodeNotFound (an
// @owner(lookup:) id that does not exist or is not the caller's, answered
// identically so that existence is not revealed), rampart.CodeBadUserInput
// (a broken @constraint), rampart.CodeRateLimited (extensions.retryAfter: a
// whole number of seconds, at least 1), rampart.CodeRateLimitUnavailable
// (the limiter failed; fail closed), rampart.CodeMFARequired
// (extensions.maxAge: seconds) and rampart.CodeInternal (a lookup or owner
// function failed, or a misconfiguration; details are logged, never sent).

// Sentinel errors. Errors returned to gqlgen are *gqlerror.Error values that
// wrap one of these, so errors.Is works on them.
var (
	// ErrUnauthenticated: an anonymous caller reached a guarded field.
	ErrUnauthenticated = errors.New("directives: unauthenticated")
	// ErrForbidden: the caller is known but not allowed.
	ErrForbidden = errors.New("directives: forbidden")
	// ErrNotFound is returned to clients for missing or not-owned objects, and
	// is what a LookupFunc returns (or wraps) when the object does not exist.
	ErrNotFound = errors.New("directives: not found")
	// ErrInvalidInput: an input broke a @constraint.
	ErrInvalidInput = errors.New("directives: invalid input")
	// ErrRateLimited: a @rateLimit field was called too often.
	ErrRateLimited = errors.New("directives: rate limited")
	// ErrRateLimitUnavailable: the limiter behind @rateLimit failed.
	ErrRateLimitUnavailable = errors.New("directives: rate limit unavailable")
	// ErrMFARequired: a @stepUp field was called without a fresh second
	// factor.
	ErrMFARequired = errors.New("directives: second factor required")
	// ErrInternal: an owner or lookup function failed.
	ErrInternal = errors.New("directives: internal error")
	// ErrNotInstalled: a directive ran before Validate; install *Directives
	// with srv.Use(d) (which calls Validate) or call ValidateSchema.
	ErrNotInstalled = errors.New("directives: not installed (call srv.Use(d) or ValidateSchema)")
)

// clientError builds a fresh error for the client: gqlgen sets its path, so
// it is never shared between fields.
func clientError(code, msg string, cause error, ext ...any) *gqlerror.Error {
	e := &gqlerror.Error{
		Message:    msg,
		Err:        cause,
		Extensions: map[string]any{"code": code},
	}
	for i := 0; i+1 < len(ext); i += 2 {
		e.Extensions[ext[i].(string)] = ext[i+1]
	}
	return e
}

func errUnauthenticated() error {
	return clientError(rampart.CodeUnauthenticated, "authentication required", ErrUnauthenticated)
}

func errForbidden() error {
	return clientError(rampart.CodeForbidden, "forbidden", ErrForbidden)
}

func errNotFound() error {
	return clientError(rampart.CodeNotFound, "not found", ErrNotFound)
}

func errMFARequired(maxAge time.Duration) error {
	return clientError(rampart.CodeMFARequired, "a recent second factor is required: verify again and retry", ErrMFARequired,
		"maxAge", ceilSeconds(maxAge))
}

func errRateLimitUnavailable() error {
	return clientError(rampart.CodeRateLimitUnavailable, "rate limit unavailable: try again later", ErrRateLimitUnavailable)
}

// ceilSeconds rounds d up to whole seconds, at least 1, so that a client
// waiting that long is never early.
func ceilSeconds(d time.Duration) int {
	switch {
	case d <= time.Second:
		return 1
	case d >= math.MaxInt32*time.Second:
		return math.MaxInt32
	}
	return int((d + time.Second - 1) / time.Second)
}

func errInternal() error {
	return clientError(rampart.CodeInternal, "internal error", ErrInternal)
}

func errNotInstalled() error {
	return clientError(rampart.CodeInternal, "internal error", ErrNotInstalled)
}
