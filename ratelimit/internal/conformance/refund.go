package conformance

import (
	"context"
	"errors"
	"testing"

	"github.com/rampart-go/rampart/ratelimit"
)

// Refunder is the behaviour suite of ratelimit.Refunder: the harness's
// Limiter must implement it.
func Refunder(t *testing.T, newHarness func(t *testing.T) Harness) {
	refunder := func(t *testing.T, h Harness) ratelimit.Refunder {
		r, ok := h.Limiter.(ratelimit.Refunder)
		if !ok {
			t.Fatalf("%T does not implement ratelimit.Refunder", h.Limiter)
		}
		return r
	}
	rate := ratelimit.Rate{Limit: 10, Period: Slow.Period}
	t.Run("refund_gives_tokens_back", func(t *testing.T) {
		h := newHarness(t)
		r := refunder(t, h)
		if d := MustAllow(t, h.Limiter, "k", rate, 10); !d.Allowed || d.Remaining != 0 {
			t.Fatalf("spend 10 of 10: %+v", d)
		}
		d, err := r.Refund(context.Background(), "k", rate, 4)
		if err != nil || d.Remaining != 4 {
			t.Fatalf("Refund 4 = %+v, %v; want 4 remaining", d, err)
		}
		if d := MustAllow(t, h.Limiter, "k", rate, 4); !d.Allowed {
			t.Fatalf("the 4 refunded tokens cannot be spent: %+v", d)
		}
		if d := MustAllow(t, h.Limiter, "k", rate, 1); d.Allowed {
			t.Fatalf("a fifth token was spent after a refund of 4: %+v", d)
		}
	})
	t.Run("refund_capped_at_capacity", func(t *testing.T) {
		h := newHarness(t)
		r := refunder(t, h)
		MustAllow(t, h.Limiter, "k", rate, 3)
		d, err := r.Refund(context.Background(), "k", rate, 100)
		if err != nil || d.Remaining != 10 {
			t.Fatalf("Refund 100 = %+v, %v; want the capacity, 10", d, err)
		}
		if d := MustAllow(t, h.Limiter, "k", rate, 11); d.Allowed {
			t.Fatalf("11 tokens spent from a bucket of 10 after an oversized refund: %+v", d)
		}
	})
	t.Run("refund_unknown_key_is_a_no_op", func(t *testing.T) {
		h := newHarness(t)
		d, err := refunder(t, h).Refund(context.Background(), "nobody", rate, 5)
		if err != nil || !d.Allowed || d.Remaining != 10 {
			t.Fatalf("Refund on an unknown key = %+v, %v; want a full bucket", d, err)
		}
	})
	t.Run("refund_negative_is_an_error", func(t *testing.T) {
		h := newHarness(t)
		if _, err := refunder(t, h).Refund(context.Background(), "k", rate, -1); !errors.Is(err, ratelimit.ErrInvalidN) {
			t.Fatalf("Refund -1: err = %v, want ErrInvalidN", err)
		}
	})
}
