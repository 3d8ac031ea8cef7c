package ratelimit_test

import (
	"testing"
	"time"

	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/internal/conformance"
)

// Shorthands for the shared suite's helpers.
var (
	slow         = conformance.Slow
	newFakeClock = conformance.NewFakeClock
	approx       = conformance.Approx
	mustAllow    = conformance.MustAllow
)

func TestConformanceMemory(t *testing.T) {
	t.Parallel()
	harness := func(t *testing.T) conformance.Harness {
		clk := newFakeClock()
		m, err := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return conformance.Harness{Limiter: m, Advance: clk.Advance, Tol: time.Millisecond}
	}
	conformance.Limiter(t, harness)
	conformance.Refunder(t, harness)
}
