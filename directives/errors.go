package directives

import (
	"errors"
	"math"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Stable values of extensions.code in the errors clients receive.
const (
	// CodeUnauthenticated: the field needs a caller and the request has none
	// (or its credential has expired).
	CodeUnauthenticated = "UNAUTHENTICATED"
	// CodeForbidden: the caller lacks a required role or scope, or reads a
	// property (@owner field) of an object it does not own.
	CodeForbidden = "FORBIDDEN"
	// CodeNotFound: an @owner(lookup:) field was called with the id of an
	// object that does not exist or that the caller does not own; the two are
	// answered identically so that existence is not revealed.
	CodeNotFound = "NOT_FOUND"
	// CodeBadUserInput: an argument or input field broke a @constraint.
	CodeBadUserInput = "BAD_USER_INPUT"
	// CodeRateLimited: the caller spent the calls @rateLimit allows it in the
	// window; extensions.retryAfter says after how many seconds (an integer,
	// at least 1) a call can succeed.
	CodeRateLimited = "RATE_LIMITED"
	// CodeRateLimitUnavailable: the rate limiter behind @rateLimit failed and
	// the field was refused (fail closed); retry later.
	CodeRateLimitUnavailable = "RATE_LIMIT_UNAVAILABLE"
	// CodeMFARequired: a @stepUp field needs a second factor the caller has
	// not presented within extensions.maxAge seconds; authenticate again with
	// one and retry.
	CodeMFARequired = "MFA_REQUIRED"
	// CodeInternal: a lookup or owner function failed, or the directives are
	// misconfigured; details are logged, never sent.
	CodeInternal = "INTERNAL_SERVER_ERROR"
)

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
	// ErrConfig wraps every error New and Validate return for a bad
	// configuration or a bad use of a directive in the schema.
	ErrConfig = errors.New("directives: invalid configuration")
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
	return clientError(CodeUnauthenticated, "authentication required", ErrUnauthenticated)
}

func errForbidden() error {
	return clientError(CodeForbidden, "forbidden", ErrForbidden)
}

func errNotFound() error {
	return clientError(CodeNotFound, "not found", ErrNotFound)
}

func errMFARequired(maxAge time.Duration) error {
	return clientError(CodeMFARequired, "a recent second factor is required: verify again and retry", ErrMFARequired,
		"maxAge", ceilSeconds(maxAge))
}

func errRateLimitUnavailable() error {
	return clientError(CodeRateLimitUnavailable, "rate limit unavailable: try again later", ErrRateLimitUnavailable)
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
	return clientError(CodeInternal, "internal error", ErrInternal)
}

func errNotInstalled() error {
	return clientError(CodeInternal, "internal error", ErrNotInstalled)
}
