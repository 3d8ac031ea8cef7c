package mfa_test

import (
	"context"
	"encoding/base32"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/mfa"
	"github.com/rampart-go/rampart/ratelimit"
)

// t0 is the fixed "now" of the test clocks: the start of a 30-second step.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testSecret is a fixed 160-bit secret (the RFC 6238 SHA-1 test key).
var testSecret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTOTP returns a TOTP on clock with opts (Issuer filled in when empty).
func newTOTP(t testing.TB, clock *fakeClock, opts mfa.Options) *mfa.TOTP {
	t.Helper()
	if opts.Issuer == "" {
		opts.Issuer = "Rampart Test"
	}
	opts.Now = clock.Now
	tp, err := mfa.NewTOTP(opts)
	if err != nil {
		t.Fatalf("NewTOTP: %v", err)
	}
	return tp
}

// codeAt returns the code for secret at time at.
func codeAt(t testing.TB, tp *mfa.TOTP, secret string, at time.Time) string {
	t.Helper()
	c, err := tp.Code(secret, at)
	if err != nil {
		t.Fatalf("Code: %v", err)
	}
	return c
}

// wrongCode returns a well-formed code that is not valid at any step within
// skew steps of at.
func wrongCode(t testing.TB, tp *mfa.TOTP, secret string, at time.Time, period time.Duration, skew int) string {
	t.Helper()
	valid := map[string]bool{}
	for i := -skew; i <= skew; i++ {
		valid[codeAt(t, tp, secret, at.Add(time.Duration(i)*period))] = true
	}
	for n := 0; ; n++ {
		c := fmt.Sprintf("%06d", n)
		if !valid[c] {
			return c
		}
	}
}

// failingLimiter fails every call, as a Redis limiter does when Redis is
// down.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string, ratelimit.Rate, int) (ratelimit.Decision, error) {
	return ratelimit.Decision{}, fmt.Errorf("%w: connection refused", ratelimit.ErrBackend)
}

func (failingLimiter) Reset(context.Context, string) error { return ratelimit.ErrBackend }

// failingUsedCodes fails every call.
type failingUsedCodes struct{}

func (failingUsedCodes) MarkUsed(context.Context, string, time.Time) (bool, error) {
	return false, errors.New("store down")
}

// alwaysFirstUse accepts every code as a first use (for benchmarks of
// the accepting path, which would otherwise refuse replays).
type alwaysFirstUse struct{}

func (alwaysFirstUse) MarkUsed(context.Context, string, time.Time) (bool, error) { return true, nil }

var (
	_ ratelimit.Limiter  = failingLimiter{}
	_ ratelimit.Resetter = failingLimiter{}
	_ mfa.UsedCodes      = failingUsedCodes{}
	_ mfa.UsedCodes      = alwaysFirstUse{}
)
