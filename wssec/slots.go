package wssec

import (
	"context"
	"sync"

	"github.com/rampart-go/rampart/ratelimit"
)

// memSlots is the default ratelimit.Slots: an in-memory count per key, owned
// by one Upgrader. Keys are deleted when their count falls to zero, so the
// table never holds more keys than there are open connections.
type memSlots struct {
	mu sync.Mutex
	n  map[string]int
}

var _ ratelimit.Slots = (*memSlots)(nil)

func newMemSlots() *memSlots { return &memSlots{n: make(map[string]int)} }

func (s *memSlots) Acquire(_ context.Context, key string, max int) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[key] >= max {
		return nil, ratelimit.ErrNoSlot
	}
	s.n[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.n[key] <= 1 {
				delete(s.n, key)
				return
			}
			s.n[key]--
		})
	}, nil
}
