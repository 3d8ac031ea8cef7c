// Package expiring is a bounded set of keys that each expire at their own
// time: the in-process memory of "seen once" that mfa (used TOTP codes) and
// webhook (replayed deliveries) both need.
package expiring

import (
	"container/heap"
	"crypto/sha256"
	"sync"
	"time"
)

// Key is a set member: a SHA-256 digest, so that an entry's size does not
// depend on what it stands for.
type Key = [sha256.Size]byte

// Outcome is the result of Set.Add.
type Outcome int

const (
	// Added: the key was not live; it is now recorded.
	Added Outcome = iota
	// Present: the key is live; nothing changed.
	Present
	// Full: the key was not live but the set holds its maximum of live
	// keys; nothing changed. The set never forgets a live key to make room,
	// since forgetting would reopen a replay.
	Full
)

// Set is a bounded set of expiring keys: a map from each key to its expiry
// with a min-heap of expiries. A key is live while now < its expiry. Expired
// keys are dropped on every Add; no goroutine runs. It is safe for concurrent
// use.
type Set struct {
	mu   sync.Mutex
	max  int
	seen map[Key]int64 // key -> expiry, Unix nanoseconds
	exp  expiryHeap
}

// New returns an empty Set holding at most max live keys (max > 0).
func New(max int) *Set {
	return &Set{max: max, seen: make(map[Key]int64)}
}

// Add records key until the instant until (Unix nanoseconds), now being the
// current instant. A key whose until is not after now is not recorded (it
// would already have expired) but reports Added unless it is live. When the
// result is Full, wait is how long until the earliest live key expires.
func (s *Set) Add(key Key, until, now int64) (o Outcome, wait time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.exp) > 0 && s.exp[0].exp <= now {
		e := heap.Pop(&s.exp).(entry)
		if s.seen[e.key] == e.exp {
			delete(s.seen, e.key)
		}
	}
	if _, ok := s.seen[key]; ok {
		return Present, 0
	}
	if until <= now {
		return Added, 0
	}
	if len(s.seen) >= s.max {
		return Full, time.Duration(s.exp[0].exp - now)
	}
	s.seen[key] = until
	heap.Push(&s.exp, entry{key: key, exp: until})
	return Added, 0
}

// Len reports how many keys are held, expired ones not yet dropped
// included.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// Max reports the most live keys s holds.
func (s *Set) Max() int { return s.max }

type entry struct {
	key Key
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
