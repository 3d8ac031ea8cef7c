package graph

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/password"
)

// CodeTooBusy answers a login or registration refused because the server
// already hashes as many passwords as its memory budget allows: retry after
// extensions.retryAfter seconds (the HTTP answer is 503 with Retry-After).
const CodeTooBusy = "TOO_BUSY"

// unavailableRetryAfter is the Retry-After, in seconds, of the demo's 503s.
const unavailableRetryAfter = 1

// ResponseStatus carries an HTTP status a resolver asks for (503 when a
// dependency is down or the server is too busy) out to the HTTP layer,
// which gqlgen would otherwise answer with 200. Create it with
// WithResponseStatus; it is safe for concurrent use.
type ResponseStatus struct {
	mu         sync.Mutex
	code       int
	retryAfter int
}

type responseStatusKey struct{}

// WithResponseStatus returns ctx carrying a fresh ResponseStatus.
func WithResponseStatus(ctx context.Context) (context.Context, *ResponseStatus) {
	s := &ResponseStatus{}
	return context.WithValue(ctx, responseStatusKey{}, s), s
}

// Status reports the HTTP status asked for (0 if none) and the
// Retry-After in seconds.
func (s *ResponseStatus) Status() (code, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.code, s.retryAfter
}

// Apply sets the status's Retry-After header on h and returns the status
// to write instead of code (code itself when none was asked for).
func (s *ResponseStatus) Apply(h http.Header, code int) int {
	c, retry := s.Status()
	if c == 0 {
		return code
	}
	if retry > 0 {
		h.Set("Retry-After", strconv.Itoa(retry))
	}
	return c
}

// unavailable is a client error for a temporary refusal: it has a stable
// code and extensions.retryAfter, and it asks the HTTP layer for 503 with
// Retry-After.
func unavailable(ctx context.Context, code, msg string) *gqlerror.Error {
	if s, ok := ctx.Value(responseStatusKey{}).(*ResponseStatus); ok {
		s.mu.Lock()
		if s.code == 0 {
			s.code, s.retryAfter = http.StatusServiceUnavailable, unavailableRetryAfter
		}
		s.mu.Unlock()
	}
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code, "retryAfter": unavailableRetryAfter}}
}

// errAuthUnavailable answers when the token store cannot be reached: the
// client should retry, and must not conclude its token is bad.
func errAuthUnavailable(ctx context.Context) error {
	return unavailable(ctx, auth.CodeAuthUnavailable, "authentication temporarily unavailable: retry later")
}

// errTooBusy answers when no password-hashing slot freed up in time.
func errTooBusy(ctx context.Context) error {
	return unavailable(ctx, CodeTooBusy, "the server is busy: retry later")
}

// dependencyError turns a failure of a dependency into its client answer:
// password hashing at capacity is TOO_BUSY, a token store that cannot be
// reached is AUTH_UNAVAILABLE, both 503 with Retry-After. Anything else is
// returned as is (masked and logged as internal).
func dependencyError(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, password.ErrBusy):
		return errTooBusy(ctx)
	case errors.Is(err, auth.ErrUnavailable):
		return errAuthUnavailable(ctx)
	}
	return err
}

// isBusy reports whether err is the hasher's "no slot" refusal.
func isBusy(err error) bool { return errors.Is(err, password.ErrBusy) }
