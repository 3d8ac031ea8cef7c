package ratelimit_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/internal/conformance"
)

func TestSlotsConformanceMemory(t *testing.T) {
	t.Parallel()
	conformance.Slots(t, func(t *testing.T) (ratelimit.Slots, conformance.HeldCounter) {
		s := ratelimit.NewMemorySlots()
		return s, s.Held
	})
	t.Run("canceled_context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := ratelimit.NewMemorySlots().Acquire(ctx, "k", 1); !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}
