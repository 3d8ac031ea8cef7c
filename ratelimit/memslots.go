package ratelimit

import (
	"context"
	"fmt"
	"sync"

	"github.com/rampart-go/rampart"
)

// MemorySlots is an in-process Slots: a count per key under one mutex. Keys
// holding no slot take no memory, so the table is bounded by the number of
// slots held. It suits a single replica; use redisrl.Slots (package ratelimit/redisrl) to cap across
// replicas.
type MemorySlots struct {
	mu   sync.Mutex
	held map[string]int
}

var _ Slots = (*MemorySlots)(nil)

// NewMemorySlots returns an empty in-process Slots.
func NewMemorySlots() *MemorySlots {
	return &MemorySlots{held: make(map[string]int)}
}

// Acquire takes one of key's max slots. It returns ErrNoSlot when all are
// taken, an error wrapping rampart.ErrConfig when max < 1 (fail closed), and
// ctx's error if ctx is already done. The release function is safe to call
// more than once and from any goroutine.
func (s *MemorySlots) Acquire(ctx context.Context, key string, max int) (func(), error) {
	if max < 1 {
		return nil, fmt.Errorf("%w: ratelimit: max %d slots must be positive", rampart.ErrConfig, max)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[key] >= max {
		return nil, ErrNoSlot
	}
	s.held[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.held[key] <= 1 {
				delete(s.held, key)
				return
			}
			s.held[key]--
		})
	}, nil
}

// Held returns how many slots key holds.
func (s *MemorySlots) Held(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held[key]
}
