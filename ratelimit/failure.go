package ratelimit

import "fmt"

// FailureMode says what a limiter backed by a remote store (such as
// ratelimit/redisrl's) decides when the store cannot be reached or does not
// answer in time. Layers above a Limiter (directives' @rateLimit) take one
// too, for the errors a Limiter returns.
type FailureMode int

const (
	// FailClosed refuses the request and returns an error wrapping ErrBackend.
	// It is the default: an attacker who can slow the backend down must not
	// thereby switch rate limiting off.
	FailClosed FailureMode = iota
	// FailOpen allows the request, as if the caller's bucket were full, and
	// logs the failure. Choose it only where availability matters more than
	// the limit.
	FailOpen
)

// String returns "fail-closed" or "fail-open".
func (f FailureMode) String() string {
	switch f {
	case FailClosed:
		return "fail-closed"
	case FailOpen:
		return "fail-open"
	}
	return fmt.Sprintf("FailureMode(%d)", int(f))
}
