package webhook

import (
	"container/heap"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"
)

// replayCache remembers verified deliveries until their timestamp leaves the
// window. Bounded: when full of live entries it refuses new ones rather
// than forget old ones, since forgetting would reopen a replay.
type replayCache struct {
	mu   sync.Mutex
	max  int
	seen map[[sha256.Size]byte]int64 // key → expiry, Unix nanoseconds
	exp  expiryHeap
}

func newReplayCache(n int) *replayCache {
	return &replayCache{max: n, seen: make(map[[sha256.Size]byte]int64)}
}

// add records key until exp. It fails with ErrReplayed when key is live, and
// with ErrReplayCacheFull (and the wait until a slot frees) when full.
func (c *replayCache) add(key [sha256.Size]byte, exp, now int64) (time.Duration, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.exp) > 0 && c.exp[0].exp < now {
		e := heap.Pop(&c.exp).(entry)
		delete(c.seen, e.key)
	}
	if _, ok := c.seen[key]; ok {
		return 0, fmt.Errorf("%w: identical delivery accepted earlier in the window", ErrReplayed)
	}
	if len(c.seen) >= c.max {
		wait := time.Duration(c.exp[0].exp - now + 1)
		return wait, fmt.Errorf("%w: %d live entries", ErrReplayCacheFull, len(c.seen))
	}
	c.seen[key] = exp
	heap.Push(&c.exp, entry{key: key, exp: exp})
	return 0, nil
}

type entry struct {
	key [sha256.Size]byte
	exp int64
}

// expiryHeap is a min-heap of entries by expiry.
type expiryHeap []entry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].exp < h[j].exp }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(entry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
