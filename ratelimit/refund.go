package ratelimit

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
)

// Refunder gives back tokens a caller was charged but did not use. The
// gqlsec cost budget charges an operation's estimated cost before it runs
// and refunds the estimate minus the actual cost after it. Refund adds n
// tokens to key's bucket under rate, never beyond its capacity; a key with
// no bucket (a full, evicted or expired one) is left alone. The Decision
// reports the bucket after the refund (Allowed is true). Memory and
// redisrl.Limiter implement it.
type Refunder interface {
	Refund(ctx context.Context, key string, rate Rate, n int) (Decision, error)
}

var _ Refunder = (*Memory)(nil)

// Refund implements Refunder. An invalid rate or a negative n is an error
// (ErrInvalidRate, ErrInvalidN) and changes nothing.
func (m *Memory) Refund(_ context.Context, key string, r Rate, n int) (Decision, error) {
	if err := r.Validate(); err != nil {
		return Decision{}, err
	}
	if n < 0 {
		return Decision{}, fmt.Errorf("%w: %d", ErrInvalidN, n)
	}
	now := m.clock()
	burst := r.Capacity()
	s := &m.shards[maphash.String(m.seed, key)&m.mask]
	s.mu.Lock()
	e := s.m[key]
	if e == nil {
		s.mu.Unlock()
		return Decision{Allowed: true, Limit: burst, Remaining: burst}, nil
	}
	tokens := e.b.at(now)
	// Whole tokens only, and never past the capacity.
	room := math.Floor(e.b.burst - tokens)
	add := min(float64(n), max(room, 0))
	if add > 0 {
		tokens += add
		e.b.set(now, tokens)
	}
	s.mu.Unlock()
	return Decision{
		Allowed:    true,
		Limit:      burst,
		Remaining:  whole(tokens, burst),
		ResetAfter: durationFor(float64(burst)-tokens, r.perSecond()),
	}, nil
}
