package ratelimit_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
)

// harness is one fresh, empty Limiter plus the means to let time pass.
type harness struct {
	limiter ratelimit.Limiter
	// advance lets d pass: a fake clock moves, or the test sleeps.
	advance func(d time.Duration)
	// tol is how far a reported duration may stray from the exact value
	// (floating point for Memory; elapsed wall time and µs rounding for Redis).
	tol time.Duration
}

// fakeClock is a manually advanced clock for Memory.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// slow is a rate under which no token refills during a test: 5 per hour.
var slow = ratelimit.Rate{Limit: 5, Period: time.Hour}

func approx(t *testing.T, what string, got, want, tol time.Duration) {
	t.Helper()
	if got < want-tol || got > want+tol {
		t.Errorf("%s = %v, want %v ± %v", what, got, want, tol)
	}
}

func mustAllow(t *testing.T, l ratelimit.Limiter, key string, r ratelimit.Rate, n int) ratelimit.Decision {
	t.Helper()
	d, err := l.Allow(context.Background(), key, r, n)
	if err != nil {
		t.Fatalf("Allow(%q, %+v, %d): %v", key, r, n, err)
	}
	return d
}

// runConformance is the one behaviour suite every Limiter must pass.
// newHarness returns a fresh, empty limiter for each subtest.
func runConformance(t *testing.T, newHarness func(t *testing.T) harness) {
	t.Run("burst_then_refuse", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		for i := range 5 {
			d := mustAllow(t, h.limiter, "k", slow, 1)
			if !d.Allowed || d.Limit != 5 || d.Remaining != 4-i {
				t.Fatalf("request %d: %+v, want allowed, limit 5, remaining %d", i+1, d, 4-i)
			}
			approx(t, "ResetAfter", d.ResetAfter, time.Duration(i+1)*12*time.Minute, h.tol)
			if d.RetryAfter != 0 {
				t.Errorf("allowed decision has RetryAfter %v", d.RetryAfter)
			}
		}
		d := mustAllow(t, h.limiter, "k", slow, 1)
		if d.Allowed || d.Remaining != 0 || d.Limit != 5 {
			t.Fatalf("request 6 (past the burst): %+v, want refused, remaining 0", d)
		}
		approx(t, "RetryAfter", d.RetryAfter, 12*time.Minute, h.tol)
		approx(t, "ResetAfter", d.ResetAfter, time.Hour, h.tol)
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
				d := mustAllow(t, h.limiter, "k", slow, tc.n)
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
				approx(t, "RetryAfter", d.RetryAfter, time.Hour, h.tol)
				if d := mustAllow(t, h.limiter, "k", slow, 5); !d.Allowed {
					t.Errorf("bucket was spent by a refused oversize request: %+v", d)
				}
			})
		}
	})

	t.Run("n_gt_1_spends", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		r := ratelimit.Rate{Limit: 10, Period: time.Hour}
		if d := mustAllow(t, h.limiter, "k", r, 3); !d.Allowed || d.Remaining != 7 {
			t.Fatalf("spend 3: %+v, want remaining 7", d)
		}
		d := mustAllow(t, h.limiter, "k", r, 8)
		if d.Allowed || d.Remaining != 7 {
			t.Fatalf("spend 8 of 7: %+v, want refused, remaining 7", d)
		}
		approx(t, "RetryAfter", d.RetryAfter, 6*time.Minute, h.tol) // one token short
		if d := mustAllow(t, h.limiter, "k", r, 7); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("spend 7 of 7: %+v, want allowed, remaining 0", d)
		}
		if d := mustAllow(t, h.limiter, "k", r, 1); d.Allowed {
			t.Fatalf("spend 1 of 0: %+v, want refused", d)
		}
	})

	t.Run("refill_over_time", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		r := ratelimit.Rate{Limit: 10, Period: time.Second, Burst: 2} // a token per 100ms
		mustAllow(t, h.limiter, "k", r, 2)
		d := mustAllow(t, h.limiter, "k", r, 1)
		if d.Allowed {
			t.Fatalf("empty bucket allowed: %+v", d)
		}
		approx(t, "RetryAfter", d.RetryAfter, 100*time.Millisecond, h.tol)
		h.advance(150 * time.Millisecond) // 1.5 tokens
		if d := mustAllow(t, h.limiter, "k", r, 1); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("after refill: %+v, want allowed, remaining 0", d)
		}
		if d := mustAllow(t, h.limiter, "k", r, 1); d.Allowed {
			t.Fatalf("half a token allowed: %+v", d)
		}
		h.advance(250 * time.Millisecond) // 0.5 + 2.5 tokens, capped at the burst
		if d := mustAllow(t, h.limiter, "k", r, 0); d.Remaining != 2 || d.ResetAfter != 0 {
			t.Fatalf("after full refill: %+v, want remaining 2, reset 0", d)
		}
	})

	t.Run("distinct_keys_independent", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		mustAllow(t, h.limiter, "login:ip:203.0.113.9", slow, 5)
		if d := mustAllow(t, h.limiter, "login:ip:203.0.113.9", slow, 1); d.Allowed {
			t.Fatalf("spent key allowed: %+v", d)
		}
		for _, k := range []string{
			"login:ip:203.0.113.10", "login:ip:203.0.113.9 ", "", "LOGIN:IP:203.0.113.9",
			"login:ip:203.0.113.9\x00", "\xff\xfe*?[", strings.Repeat("k", 4096),
		} {
			if d := mustAllow(t, h.limiter, k, slow, 1); !d.Allowed || d.Remaining != 4 {
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
		mustAllow(t, h.limiter, "k", r10, 4) // 6 left
		d := mustAllow(t, h.limiter, "k", r20, 0)
		if d.Limit != 20 || d.Remaining != 6 {
			t.Fatalf("higher burst: %+v, want limit 20, remaining 6 (kept)", d)
		}
		approx(t, "ResetAfter", d.ResetAfter, 42*time.Minute, h.tol) // 14 tokens at 3 min each
		if d := mustAllow(t, h.limiter, "k", r20, 7); d.Allowed {
			t.Fatalf("spent 7 of 6: %+v", d)
		}
		if d := mustAllow(t, h.limiter, "k", r3, 0); d.Limit != 3 || d.Remaining != 3 || d.ResetAfter != 0 {
			t.Fatalf("lower burst: %+v, want limit 3, remaining 3 (capped: full)", d)
		}
		// Full under r3 is the same as fresh: full under r20 too.
		if d := mustAllow(t, h.limiter, "k", r20, 0); d.Limit != 20 || d.Remaining != 20 {
			t.Fatalf("back to the higher burst: %+v, want a full bucket", d)
		}
	})

	t.Run("peek_spends_nothing", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		for range 3 {
			if d := mustAllow(t, h.limiter, "k", slow, 0); !d.Allowed || d.Remaining != 5 || d.ResetAfter != 0 {
				t.Fatalf("peek at fresh key: %+v", d)
			}
		}
		mustAllow(t, h.limiter, "k", slow, 5)
		if d := mustAllow(t, h.limiter, "k", slow, 0); !d.Allowed || d.Remaining != 0 {
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
			{"negative_n", slow, -1, ratelimit.ErrInvalidN},
		} {
			d, err := h.limiter.Allow(context.Background(), "k", tc.r, tc.n)
			if !errors.Is(err, tc.want) || d.Allowed {
				t.Errorf("%s: Allow = %+v, %v; want refused, %v", tc.name, d, err, tc.want)
			}
		}
		// The key was not touched by the invalid calls.
		if d := mustAllow(t, h.limiter, "k", slow, 0); d.Remaining != 5 {
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
					d, err := h.limiter.Allow(context.Background(), "hot", r, 1)
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
		res, ok := h.limiter.(ratelimit.Resetter)
		if !ok {
			t.Fatalf("%T does not implement Resetter", h.limiter)
		}
		mustAllow(t, h.limiter, "k", slow, 5)
		mustAllow(t, h.limiter, "other", slow, 5)
		if err := res.Reset(context.Background(), "k"); err != nil {
			t.Fatal(err)
		}
		if d := mustAllow(t, h.limiter, "k", slow, 0); d.Remaining != 5 {
			t.Errorf("after Reset: %+v, want a full bucket", d)
		}
		if d := mustAllow(t, h.limiter, "other", slow, 0); d.Remaining != 0 {
			t.Errorf("Reset touched another key: %+v", d)
		}
		if err := res.Reset(context.Background(), "never-seen"); err != nil {
			t.Errorf("Reset of an unknown key: %v", err)
		}
	})
}

func TestConformanceMemory(t *testing.T) {
	t.Parallel()
	runConformance(t, func(t *testing.T) harness {
		clk := newFakeClock()
		m, err := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return harness{limiter: m, advance: clk.Advance, tol: time.Millisecond}
	})
}
