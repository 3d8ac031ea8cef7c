package ratelimit_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/internal/conformance"
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
		if _, err := ratelimit.NewLockout(tc.l, tc.opts); !errors.Is(err, rampart.ErrConfig) {
			t.Errorf("%s: err = %v, want rampart.ErrConfig", tc.name, err)
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

func TestLockoutMemory(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	conformance.Lockout(t, newMemory(t, ratelimit.MemoryOptions{Now: clk.Now}), clk.Advance, 15*time.Minute)
}
