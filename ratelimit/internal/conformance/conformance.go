// Package conformance holds the behaviour suites every ratelimit.Limiter,
// ratelimit.Slots and ratelimit.Lockout backend must pass, so that the
// in-memory implementations (package ratelimit) and the Redis ones
// (ratelimit/redisrl) are held to one definition. Test-only: it imports
// package testing.
package conformance

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/ratelimit"
)

// Harness is one fresh, empty Limiter plus the means to let time pass.
type Harness struct {
	Limiter ratelimit.Limiter
	// Advance lets d pass: a fake clock moves, or the test sleeps.
	Advance func(d time.Duration)
	// Tol is how far a reported duration may stray from the exact value
	// (floating point for Memory; elapsed wall time and µs rounding for Redis).
	Tol time.Duration
}

// FakeClock is a manually advanced clock for Memory.
type FakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewFakeClock returns a FakeClock at a fixed instant.
func NewFakeClock() *FakeClock {
	return &FakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Slow is a rate under which no token refills during a test: 5 per hour.
var Slow = ratelimit.Rate{Limit: 5, Period: time.Hour}

// Approx fails t unless got is within tol of want.
func Approx(t testing.TB, what string, got, want, tol time.Duration) {
	t.Helper()
	if got < want-tol || got > want+tol {
		t.Errorf("%s = %v, want %v ± %v", what, got, want, tol)
	}
}

// MustAllow calls l.Allow and fails t on an error.
func MustAllow(t testing.TB, l ratelimit.Limiter, key string, r ratelimit.Rate, n int) ratelimit.Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), key, r, n)
	if err != nil {
		t.Fatalf("Allow(%q, %+v, %d): %v", key, r, n, err)
	}
	return d
}

// Limiter is the one behaviour suite every Limiter must pass.
// newHarness returns a fresh, empty limiter for each subtest.
func Limiter(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("burst_then_refuse", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		for i := range 5 {
			d := MustAllow(t, h.Limiter, "k", Slow, 1)
			if !d.Allowed || d.Limit != 5 || d.Remaining != 4-i {
				t.Fatalf("request %d: %+v, want allowed, limit 5, remaining %d", i+1, d, 4-i)
			}
			Approx(t, "ResetAfter", d.ResetAfter, time.Duration(i+1)*12*time.Minute, h.Tol)
			if d.RetryAfter != 0 {
				t.Errorf("allowed decision has RetryAfter %v", d.RetryAfter)
			}
		}
		d := MustAllow(t, h.Limiter, "k", Slow, 1)
		if d.Allowed || d.Remaining != 0 || d.Limit != 5 {
			t.Fatalf("request 6 (past the burst): %+v, want refused, remaining 0", d)
		}
		Approx(t, "RetryAfter", d.RetryAfter, 12*time.Minute, h.Tol)
		Approx(t, "ResetAfter", d.ResetAfter, time.Hour, h.Tol)
	})

	t.Run("n_at_and_past_burst", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name  string
			n     int
			allow bool
		}{
			{"n_equals_burst_passes", 5, true},
			{"n_burst_plus_one_refused", 6, false},
			{"n_huge_refused", 1 << 40, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t)
				d := MustAllow(t, h.Limiter, "k", Slow, tc.n)
				if d.Allowed != tc.allow {
					t.Fatalf("Allow(n=%d) = %+v, want allowed %v", tc.n, d, tc.allow)
				}
				if tc.allow {
					return
				}
				// Refused without spending; RetryAfter is the full refill time.
				if d.Remaining != 5 {
					t.Errorf("Remaining = %d, want 5 (nothing spent)", d.Remaining)
				}
				Approx(t, "RetryAfter", d.RetryAfter, time.Hour, h.Tol)
				if d := MustAllow(t, h.Limiter, "k", Slow, 5); !d.Allowed {
					t.Errorf("bucket was spent by a refused oversize request: %+v", d)
				}
			})
		}
	})

	t.Run("n_gt_1_spends", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		r := ratelimit.Rate{Limit: 10, Period: time.Hour}
		if d := MustAllow(t, h.Limiter, "k", r, 3); !d.Allowed || d.Remaining != 7 {
			t.Fatalf("spend 3: %+v, want remaining 7", d)
		}
		d := MustAllow(t, h.Limiter, "k", r, 8)
		if d.Allowed || d.Remaining != 7 {
			t.Fatalf("spend 8 of 7: %+v, want refused, remaining 7", d)
		}
		Approx(t, "RetryAfter", d.RetryAfter, 6*time.Minute, h.Tol) // one token short
		if d := MustAllow(t, h.Limiter, "k", r, 7); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("spend 7 of 7: %+v, want allowed, remaining 0", d)
		}
		if d := MustAllow(t, h.Limiter, "k", r, 1); d.Allowed {
			t.Fatalf("spend 1 of 0: %+v, want refused", d)
		}
	})

	t.Run("refill_over_time", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		r := ratelimit.Rate{Limit: 10, Period: time.Second, Burst: 2} // a token per 100ms
		MustAllow(t, h.Limiter, "k", r, 2)
		d := MustAllow(t, h.Limiter, "k", r, 1)
		if d.Allowed {
			t.Fatalf("empty bucket allowed: %+v", d)
		}
		Approx(t, "RetryAfter", d.RetryAfter, 100*time.Millisecond, h.Tol)
		h.Advance(150 * time.Millisecond) // 1.5 tokens
		if d := MustAllow(t, h.Limiter, "k", r, 1); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("after refill: %+v, want allowed, remaining 0", d)
		}
		if d := MustAllow(t, h.Limiter, "k", r, 1); d.Allowed {
			t.Fatalf("half a token allowed: %+v", d)
		}
		h.Advance(250 * time.Millisecond) // 0.5 + 2.5 tokens, capped at the burst
		if d := MustAllow(t, h.Limiter, "k", r, 0); d.Remaining != 2 || d.ResetAfter != 0 {
			t.Fatalf("after full refill: %+v, want remaining 2, reset 0", d)
		}
	})

	t.Run("distinct_keys_independent", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		MustAllow(t, h.Limiter, "login:ip:203.0.113.9", Slow, 5)
		if d := MustAllow(t, h.Limiter, "login:ip:203.0.113.9", Slow, 1); d.Allowed {
			t.Fatalf("spent key allowed: %+v", d)
		}
		for _, k := range []string{
			"login:ip:203.0.113.10", "login:ip:203.0.113.9 ", "", "LOGIN:IP:203.0.113.9",
			"login:ip:203.0.113.9\x00", "\xff\xfe*?[", strings.Repeat("k", 4096),
		} {
			if d := MustAllow(t, h.Limiter, k, Slow, 1); !d.Allowed || d.Remaining != 4 {
				t.Errorf("key %q shares a bucket: %+v", k, d)
			}
		}
	})

	t.Run("rate_change_keeps_available_tokens", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		r10 := ratelimit.Rate{Limit: 10, Period: time.Hour}
		r20 := ratelimit.Rate{Limit: 20, Period: time.Hour}
		r3 := ratelimit.Rate{Limit: 3, Period: time.Hour}
		MustAllow(t, h.Limiter, "k", r10, 4) // 6 left
		d := MustAllow(t, h.Limiter, "k", r20, 0)
		if d.Limit != 20 || d.Remaining != 6 {
			t.Fatalf("higher burst: %+v, want limit 20, remaining 6 (kept)", d)
		}
		Approx(t, "ResetAfter", d.ResetAfter, 42*time.Minute, h.Tol) // 14 tokens at 3 min each
		if d := MustAllow(t, h.Limiter, "k", r20, 7); d.Allowed {
			t.Fatalf("spent 7 of 6: %+v", d)
		}
		if d := MustAllow(t, h.Limiter, "k", r3, 0); d.Limit != 3 || d.Remaining != 3 || d.ResetAfter != 0 {
			t.Fatalf("lower burst: %+v, want limit 3, remaining 3 (capped: full)", d)
		}
		// Full under r3 is the same as fresh: full under r20 too.
		if d := MustAllow(t, h.Limiter, "k", r20, 0); d.Limit != 20 || d.Remaining != 20 {
			t.Fatalf("back to the higher burst: %+v, want a full bucket", d)
		}
	})

	t.Run("peek_spends_nothing", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		for range 3 {
			if d := MustAllow(t, h.Limiter, "k", Slow, 0); !d.Allowed || d.Remaining != 5 || d.ResetAfter != 0 {
				t.Fatalf("peek at fresh key: %+v", d)
			}
		}
		MustAllow(t, h.Limiter, "k", Slow, 5)
		if d := MustAllow(t, h.Limiter, "k", Slow, 0); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("peek at empty bucket: %+v, want allowed (a peek), remaining 0", d)
		}
	})

	t.Run("invalid_input_fails_closed", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		for _, tc := range []struct {
			name string
			r    ratelimit.Rate
			n    int
			want error
		}{
			{"zero_rate", ratelimit.Rate{}, 1, ratelimit.ErrInvalidRate},
			{"zero_limit", ratelimit.Rate{Period: time.Second}, 1, ratelimit.ErrInvalidRate},
			{"negative_limit", ratelimit.Rate{Limit: -1, Period: time.Second}, 1, ratelimit.ErrInvalidRate},
			{"zero_period", ratelimit.Rate{Limit: 1}, 1, ratelimit.ErrInvalidRate},
			{"negative_period", ratelimit.Rate{Limit: 1, Period: -time.Second}, 1, ratelimit.ErrInvalidRate},
			{"negative_burst", ratelimit.Rate{Limit: 1, Period: time.Second, Burst: -1}, 1, ratelimit.ErrInvalidRate},
			{"negative_n", Slow, -1, ratelimit.ErrInvalidN},
		} {
			d, err := h.Limiter.Allow(context.Background(), "k", tc.r, tc.n)
			if !errors.Is(err, tc.want) || d.Allowed {
				t.Errorf("%s: Allow = %+v, %v; want refused, %v", tc.name, d, err, tc.want)
			}
		}
		// The key was not touched by the invalid calls.
		if d := MustAllow(t, h.Limiter, "k", Slow, 0); d.Remaining != 5 {
			t.Errorf("invalid calls spent tokens: %+v", d)
		}
	})

	t.Run("concurrent_exactly_burst", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		r := ratelimit.Rate{Limit: 100, Period: time.Hour}
		var wins atomic.Int64
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 32 {
			wg.Go(func() {
				<-start
				for range 10 {
					d, err := h.Limiter.Allow(context.Background(), "hot", r, 1)
					if err != nil {
						t.Error(err)
						return
					}
					if d.Allowed {
						wins.Add(1)
					}
				}
			})
		}
		close(start)
		wg.Wait()
		if got := wins.Load(); got != 100 {
			t.Fatalf("%d of 320 concurrent requests allowed, want exactly the burst, 100", got)
		}
	})

	t.Run("reset_refills", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		res, ok := h.Limiter.(ratelimit.Resetter)
		if !ok {
			t.Fatalf("%T does not implement Resetter", h.Limiter)
		}
		MustAllow(t, h.Limiter, "k", Slow, 5)
		MustAllow(t, h.Limiter, "other", Slow, 5)
		if err := res.Reset(context.Background(), "k"); err != nil {
			t.Fatal(err)
		}
		if d := MustAllow(t, h.Limiter, "k", Slow, 0); d.Remaining != 5 {
			t.Errorf("after Reset: %+v, want a full bucket", d)
		}
		if d := MustAllow(t, h.Limiter, "other", Slow, 0); d.Remaining != 0 {
			t.Errorf("Reset touched another key: %+v", d)
		}
		if err := res.Reset(context.Background(), "never-seen"); err != nil {
			t.Errorf("Reset of an unknown key: %v", err)
		}
	})
}

// HeldCounter reports how many slots a key holds; both Slots
// implementations have one.
type HeldCounter func(key string) int

// Slots is the behaviour suite every Slots must pass.
func Slots(t *testing.T, newSlots func(t *testing.T) (ratelimit.Slots, HeldCounter)) {
	ctx := context.Background()
	t.Run("cap_at_limit_and_past_it", func(t *testing.T) {
		t.Parallel()
		s, held := newSlots(t)
		var releases []func()
		for i := range 3 {
			rel, err := s.Acquire(ctx, "conn:alice", 3)
			if err != nil {
				t.Fatalf("slot %d of 3: %v", i+1, err)
			}
			releases = append(releases, rel)
		}
		if _, err := s.Acquire(ctx, "conn:alice", 3); !errors.Is(err, ratelimit.ErrNoSlot) {
			t.Fatalf("slot 4 of 3: err = %v, want ErrNoSlot", err)
		}
		if rel, err := s.Acquire(ctx, "conn:bob", 3); err != nil {
			t.Fatalf("another key is capped too: %v", err)
		} else {
			rel()
		}
		if n := held("conn:alice"); n != 3 {
			t.Errorf("held = %d, want 3", n)
		}
		releases[0]()
		releases[0]() // a second release gives back nothing more
		if n := held("conn:alice"); n != 2 {
			t.Errorf("after a double release: held = %d, want 2", n)
		}
		rel, err := s.Acquire(ctx, "conn:alice", 3)
		if err != nil {
			t.Fatalf("released slot not reusable: %v", err)
		}
		if _, err := s.Acquire(ctx, "conn:alice", 3); !errors.Is(err, ratelimit.ErrNoSlot) {
			t.Fatalf("double release freed two slots: err = %v", err)
		}
		rel()
		releases[1]()
		releases[2]()
		if n := held("conn:alice"); n != 0 {
			t.Errorf("after releasing all: held = %d, want 0", n)
		}
	})
	t.Run("invalid_max_fails_closed", func(t *testing.T) {
		t.Parallel()
		s, _ := newSlots(t)
		for _, max := range []int{0, -1} {
			if rel, err := s.Acquire(ctx, "k", max); !errors.Is(err, rampart.ErrConfig) || rel != nil {
				t.Errorf("max %d: err = %v, want rampart.ErrConfig and no release", max, err)
			}
		}
	})
	t.Run("concurrent_exactly_max", func(t *testing.T) {
		t.Parallel()
		s, held := newSlots(t)
		var wins atomic.Int64
		var wg sync.WaitGroup
		var mu sync.Mutex
		var releases []func()
		for range 40 {
			wg.Go(func() {
				rel, err := s.Acquire(ctx, "hot", 7)
				switch {
				case err == nil:
					wins.Add(1)
					mu.Lock()
					releases = append(releases, rel)
					mu.Unlock()
				case !errors.Is(err, ratelimit.ErrNoSlot):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := wins.Load(); got != 7 {
			t.Errorf("%d of 40 concurrent acquires won, want exactly 7", got)
		}
		for _, rel := range releases {
			rel()
		}
		if n := held("hot"); n != 0 {
			t.Errorf("held = %d after releasing all", n)
		}
	})
}

// Lockout is the brute-force scenario against any Resetter limiter.
func Lockout(t *testing.T, l ratelimit.Limiter, advance func(time.Duration), window time.Duration) {
	ctx := context.Background()
	lo, err := ratelimit.NewLockout(l, ratelimit.LockoutOptions{MaxFailures: 3, Window: window})
	if err != nil {
		t.Fatal(err)
	}
	check := func(key string, wantAllowed bool) ratelimit.Decision {
		t.Helper()
		d, err := lo.Check(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed != wantAllowed {
			t.Fatalf("Check(%q) = %+v, want allowed %v", key, d, wantAllowed)
		}
		return d
	}
	fail := func(key string) ratelimit.Decision {
		t.Helper()
		d, err := lo.Failure(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	// Guessing: failures below the limit still allow attempts.
	for i := range 2 {
		check("login:user:alice", true)
		if d := fail("login:user:alice"); d.Remaining != 2-i {
			t.Fatalf("failure %d: %+v, want %d attempts left", i+1, d, 2-i)
		}
	}
	// The failure at the limit locks the key out.
	check("login:user:alice", true)
	if d := fail("login:user:alice"); d.Remaining != 0 {
		t.Fatalf("failure 3 of 3: %+v, want 0 left", d)
	}
	d := check("login:user:alice", false)
	Approx(t, "RetryAfter", d.RetryAfter, window/3, window/20)
	// Past the limit nothing changes; Check still spends nothing.
	if d := fail("login:user:alice"); d.Allowed {
		t.Fatalf("failure while locked out was recorded: %+v", d)
	}
	check("login:user:alice", false)
	// The benign user next door is unaffected.
	check("login:user:bob", true)

	// One attempt comes back after Window/MaxFailures.
	advance(window/3 + window/20)
	check("login:user:alice", true)
	fail("login:user:alice")
	check("login:user:alice", false)

	// A success resets the key.
	if err := lo.Success(ctx, "login:user:alice"); err != nil {
		t.Fatal(err)
	}
	if d := check("login:user:alice", true); d.Remaining != 3 {
		t.Fatalf("after success: %+v, want all 3 attempts", d)
	}
}
