package ratelimit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/redistest"
	"github.com/rampart-go/rampart/ratelimit"
)

func TestNewLockoutRejectsMisconfiguration(t *testing.T) {
	t.Parallel()
	m := newMemory(t, ratelimit.MemoryOptions{})
	for _, tc := range []struct {
		name string
		l    ratelimit.Limiter
		opts ratelimit.LockoutOptions
	}{
		{"nil_limiter", nil, ratelimit.LockoutOptions{}},
		{"limiter_without_reset", noReset{m}, ratelimit.LockoutOptions{}},
		{"negative_failures", m, ratelimit.LockoutOptions{MaxFailures: -1}},
		{"negative_window", m, ratelimit.LockoutOptions{Window: -time.Minute}},
	} {
		if _, err := ratelimit.NewLockout(tc.l, tc.opts); !errors.Is(err, ratelimit.ErrInvalidOptions) {
			t.Errorf("%s: err = %v, want ErrInvalidOptions", tc.name, err)
		}
	}
	lo, err := ratelimit.NewLockout(m, ratelimit.LockoutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (ratelimit.Rate{Limit: 5, Period: 15 * time.Minute, Burst: 5}); lo.Rate() != want {
		t.Errorf("default rate %+v, want %+v", lo.Rate(), want)
	}
}

// noReset hides Memory's Reset method.
type noReset struct{ ratelimit.Limiter }

// runLockout is the brute-force scenario against any Resetter limiter.
func runLockout(t *testing.T, l ratelimit.Limiter, advance func(time.Duration), window time.Duration) {
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
	approx(t, "RetryAfter", d.RetryAfter, window/3, window/20)
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

func TestLockoutMemory(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	runLockout(t, newMemory(t, ratelimit.MemoryOptions{Now: clk.Now}), clk.Advance, 15*time.Minute)
}

func TestLockoutRedis(t *testing.T) {
	t.Parallel()
	r, err := ratelimit.NewRedis(redistest.Client(t), ratelimit.RedisOptions{Prefix: redistest.Prefix(t), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	runLockout(t, r, func(d time.Duration) { ratelimit.AdvanceRedisClock(r, d) }, 15*time.Minute)
}

// TestLockoutRedisDownFailsClosed: with Redis down a fail-closed lockout
// refuses attempts rather than letting guesses through unlimited.
func TestLockoutRedisDownFailsClosed(t *testing.T) {
	srv := redistest.Start(t)
	r, err := ratelimit.NewRedis(srv.Client(t), ratelimit.RedisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lo, err := ratelimit.NewLockout(r, ratelimit.LockoutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	if d, err := lo.Check(context.Background(), "login:user:alice"); d.Allowed || !errors.Is(err, ratelimit.ErrBackend) {
		t.Errorf("Check with Redis down = %+v, %v; want refused, ErrBackend", d, err)
	}
	if err := lo.Success(context.Background(), "login:user:alice"); !errors.Is(err, ratelimit.ErrBackend) {
		t.Errorf("Success with Redis down: err = %v, want ErrBackend", err)
	}
}
