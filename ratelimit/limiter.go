package ratelimit

import (
	"context"
	"errors"
	"time"
)

// Rate is a token-bucket rate: Limit tokens per Period, with room for Burst
// tokens at once. A zero Burst means Burst = Limit.
type Rate struct {
	Limit  int
	Period time.Duration
	Burst  int
}

// PerSecond returns a Rate of n tokens per second with burst n.
func PerSecond(n int) Rate { return Rate{Limit: n, Period: time.Second} }

// PerMinute returns a Rate of n tokens per minute with burst n.
func PerMinute(n int) Rate { return Rate{Limit: n, Period: time.Minute} }

// Decision is the answer to one Allow call.
type Decision struct {
	// Allowed reports whether the tokens were spent.
	Allowed bool
	// Limit is the bucket's capacity (the burst).
	Limit int
	// Remaining is how many tokens are left after this decision.
	Remaining int
	// ResetAfter is how long until the bucket is full again.
	ResetAfter time.Duration
	// RetryAfter is how long until a refused request could succeed; zero when
	// Allowed.
	RetryAfter time.Duration
}

// ErrBackend wraps failures of a limiter's storage (Redis down, timeout).
var ErrBackend = errors.New("ratelimit: backend unavailable")

// Limiter decides whether the caller identified by key may spend n tokens
// now under rate. Keys are namespaced by the caller ("login:ip:203.0.113.9").
// Implementations are safe for concurrent use.
type Limiter interface {
	Allow(ctx context.Context, key string, rate Rate, n int) (Decision, error)
}

// BackendName names l's storage for metrics: "memory" for *Memory, what
// l's Backend method returns when it has one (redisrl.Limiter: "redis"),
// else "custom".
func BackendName(l Limiter) string {
	switch l := l.(type) {
	case *Memory:
		return "memory"
	case interface{ Backend() string }:
		return l.Backend()
	}
	return "custom"
}
