package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-go/rampart"
)

// Resetter is implemented by limiters that can forget a key's bucket, so that
// its next request finds it full. Memory and Redis implement it.
type Resetter interface {
	Reset(ctx context.Context, key string) error
}

// Default lockout policy: 5 failures, one forgiven every 3 minutes.
const (
	DefaultMaxFailures   = 5
	DefaultLockoutWindow = 15 * time.Minute
)

// LockoutOptions configures NewLockout. The zero value is the hardened
// default.
type LockoutOptions struct {
	// MaxFailures is how many failed attempts a key may make before it is
	// locked out. Zero means DefaultMaxFailures (5). Negative is an error.
	MaxFailures int
	// Window is how long a key takes to earn back all MaxFailures attempts:
	// one failure is forgiven every Window/MaxFailures. Zero means
	// DefaultLockoutWindow (15 minutes). Negative is an error.
	Window time.Duration
}

// Lockout slows brute-force guessing on login, registration, token refresh
// and similar endpoints. Failed attempts spend a token from the key's bucket;
// once MaxFailures are spent the key is locked out until tokens refill; a
// successful attempt resets the key.
//
// Call Check before verifying the credential (and refuse if it is not
// Allowed), Failure when verification fails and Success when it succeeds. Key
// it both by account ("login:user:alice") and by client ("login:ip:203.0.113.9")
// so that neither a single account nor a single client can be hammered; a
// lockout by account alone lets anyone lock a victim out, so prefer a short
// Window there. With a Memory limiter, a flood of more than MaxKeys distinct
// keys can evict a lockout early (see Memory); share a Redis limiter between
// replicas so that attempts spread across them are counted together.
type Lockout struct {
	limiter  Limiter
	resetter Resetter
	rate     Rate
	interval time.Duration
}

// NewLockout returns a Lockout spending from l, which must also implement
// Resetter (Memory and Redis do).
func NewLockout(l Limiter, opts LockoutOptions) (*Lockout, error) {
	if l == nil {
		return nil, fmt.Errorf("%w: ratelimit: nil Limiter", rampart.ErrConfig)
	}
	r, ok := l.(Resetter)
	if !ok {
		return nil, fmt.Errorf("%w: ratelimit: %T does not implement Resetter", rampart.ErrConfig, l)
	}
	if opts.MaxFailures < 0 || opts.Window < 0 {
		return nil, fmt.Errorf("%w: ratelimit: MaxFailures %d and Window %v must not be negative", rampart.ErrConfig, opts.MaxFailures, opts.Window)
	}
	if opts.MaxFailures == 0 {
		opts.MaxFailures = DefaultMaxFailures
	}
	if opts.Window == 0 {
		opts.Window = DefaultLockoutWindow
	}
	rt := Rate{Limit: opts.MaxFailures, Period: opts.Window, Burst: opts.MaxFailures}
	if err := rt.Validate(); err != nil {
		return nil, err
	}
	return &Lockout{
		limiter:  l,
		resetter: r,
		rate:     rt,
		interval: opts.Window / time.Duration(opts.MaxFailures),
	}, nil
}

// Rate returns the token-bucket rate failures are counted under.
func (lo *Lockout) Rate() Rate { return lo.rate }

// Check reports, without spending anything, whether key may attempt now.
// When key is locked out the Decision is not Allowed and RetryAfter says when
// one more attempt will be possible. On a backend error the Decision follows
// the limiter's failure mode (a fail-closed Redis refuses).
func (lo *Lockout) Check(ctx context.Context, key string) (Decision, error) {
	d, err := lo.limiter.Allow(ctx, key, lo.rate, 0)
	if err != nil || !d.Allowed {
		return d, err
	}
	if d.Remaining < 1 {
		d.Allowed = false
		// ResetAfter covers refilling all Limit tokens; one token comes
		// (Limit-1) intervals sooner.
		d.RetryAfter = max(d.ResetAfter-time.Duration(d.Limit-1)*lo.interval, time.Millisecond)
	}
	return d, nil
}

// Failure records a failed attempt by key. The Decision reports the attempts
// left (Remaining); Remaining == 0 means key is now locked out. A failure
// recorded while already locked out is refused and changes nothing.
func (lo *Lockout) Failure(ctx context.Context, key string) (Decision, error) {
	return lo.limiter.Allow(ctx, key, lo.rate, 1)
}

// Success forgets key's failures after a successful attempt.
func (lo *Lockout) Success(ctx context.Context, key string) error {
	return lo.resetter.Reset(ctx, key)
}
