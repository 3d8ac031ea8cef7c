package ratelimit

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrInvalidRate is returned (wrapped) by Allow when the Rate cannot describe
// a bucket: Limit or Period not positive, or Burst negative. The Decision that
// comes with it refuses: a broken rate fails closed.
var ErrInvalidRate = errors.New("ratelimit: invalid rate")

// ErrInvalidN is returned (wrapped) by Allow when n is negative. The Decision
// that comes with it refuses.
var ErrInvalidN = errors.New("ratelimit: n must not be negative")

// Validate reports whether r describes a usable bucket: Limit > 0, Period > 0
// and Burst >= 0 (zero meaning Burst = Limit). Call it at startup on rates read
// from configuration so that a bad one stops the process instead of refusing
// every request.
func (r Rate) Validate() error {
	switch {
	case r.Limit <= 0:
		return fmt.Errorf("%w: limit %d must be positive", ErrInvalidRate, r.Limit)
	case r.Period <= 0:
		return fmt.Errorf("%w: period %v must be positive", ErrInvalidRate, r.Period)
	case r.Burst < 0:
		return fmt.Errorf("%w: burst %d must not be negative", ErrInvalidRate, r.Burst)
	}
	return nil
}

// Capacity returns the bucket capacity: Burst, or Limit when Burst is zero.
// Limiter implementations report it as Decision.Limit.
func (r Rate) Capacity() int {
	if r.Burst == 0 {
		return r.Limit
	}
	return r.Burst
}

// perSecond returns the refill rate in tokens per second.
func (r Rate) perSecond() float64 {
	return float64(r.Limit) / r.Period.Seconds()
}

// durationFor returns how long it takes to refill tokens at perSecond tokens
// per second, rounded up to the nanosecond so a caller waiting that long is
// never early. It returns 0 for tokens <= 0.
func durationFor(tokens, perSecond float64) time.Duration {
	if tokens <= 0 {
		return 0
	}
	ns := math.Ceil(tokens / perSecond * float64(time.Second))
	if ns >= math.MaxInt64 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(ns)
}

// whole returns the number of whole tokens in tokens, clamped to [0, burst].
// A tiny epsilon absorbs floating-point drift (4.9999999999 is 5).
func whole(tokens float64, burst int) int {
	w := math.Floor(tokens + 1e-9)
	switch {
	case w <= 0:
		return 0
	case w >= float64(burst):
		return burst
	}
	return int(w)
}

// refused returns the Decision that accompanies an error for rate r.
func refused(r Rate, retryAfter time.Duration) Decision {
	d := Decision{RetryAfter: retryAfter}
	if r.Validate() == nil {
		d.Limit = r.Capacity()
	}
	return d
}
