package mfa

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"
)

// UsedCodes remembers which codes have been accepted, so that each is
// accepted once (RFC 6238, section 5.2: the verifier must not accept the
// second attempt of the same OTP). Share one implementation backed by a
// common store (Redis SET NX PX, a database row with a unique key) between
// replicas; MemoryUsedCodes serves a single process.
type UsedCodes interface {
	// MarkUsed records key until the time until and reports whether this
	// was its first use: true when key was not recorded, or its record had
	// expired. It must be atomic: of two concurrent calls with the same
	// key, at most one reports firstUse. An error means nothing is known;
	// the caller refuses the code.
	MarkUsed(ctx context.Context, key string, until time.Time) (firstUse bool, err error)
}

// DefaultMaxUsedCodes bounds MemoryUsedCodes when MaxEntries is zero. An
// entry lives at most (2*Skew+1) periods, 90 seconds by default, so this is
// 100,000 successful verifications in 90 seconds; about 10 MB when full.
const DefaultMaxUsedCodes = 100_000

// MemoryUsedCodesOptions configures NewMemoryUsedCodes. The zero value is
// the hardened default.
type MemoryUsedCodesOptions struct {
	// MaxEntries bounds how many live entries are kept. Zero means
	// DefaultMaxUsedCodes; negative is an error. When full of live entries,
	// MarkUsed fails with ErrUsedCodesFull (the code is refused) rather than
	// forget an entry and reopen a replay.
	MaxEntries int
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
}

// MemoryUsedCodes is an in-process UsedCodes: a map from the SHA-256 of each
// key (so an entry's size does not depend on the key's) to its expiry, with
// a min-heap of expiries. Expired entries are dropped on every call; no
// goroutine runs. It is safe for concurrent use.
type MemoryUsedCodes struct {
	mu   sync.Mutex
	max  int
	now  func() time.Time
	seen map[[sha256.Size]byte]int64 // key hash -> expiry, Unix nanoseconds
	exp  expiryHeap
}

var _ UsedCodes = (*MemoryUsedCodes)(nil)

// NewMemoryUsedCodes returns an empty in-memory store. It fails only on
// invalid options.
func NewMemoryUsedCodes(opts MemoryUsedCodesOptions) (*MemoryUsedCodes, error) {
	if opts.MaxEntries < 0 {
		return nil, fmt.Errorf("%w: MaxEntries %d must not be negative", ErrInvalidOptions, opts.MaxEntries)
	}
	if opts.MaxEntries == 0 {
		opts.MaxEntries = DefaultMaxUsedCodes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &MemoryUsedCodes{max: opts.MaxEntries, now: opts.Now, seen: make(map[[sha256.Size]byte]int64)}, nil
}

// MarkUsed implements UsedCodes. An until not after now records nothing
// and reports a first use (the entry would already have expired). It fails
// with ErrUsedCodesFull when MaxEntries live entries are held.
func (m *MemoryUsedCodes) MarkUsed(_ context.Context, key string, until time.Time) (bool, error) {
	h := sha256.Sum256([]byte(key))
	now := m.now().UnixNano()
	exp := until.UnixNano()
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.exp) > 0 && m.exp[0].exp <= now {
		e := heap.Pop(&m.exp).(usedEntry)
		if m.seen[e.key] == e.exp {
			delete(m.seen, e.key)
		}
	}
	if _, ok := m.seen[h]; ok {
		return false, nil
	}
	if exp <= now {
		return true, nil
	}
	if len(m.seen) >= m.max {
		return false, fmt.Errorf("%w: %d live entries", ErrUsedCodesFull, len(m.seen))
	}
	m.seen[h] = exp
	heap.Push(&m.exp, usedEntry{key: h, exp: exp})
	return true, nil
}

// Len reports how many entries are held, expired ones not yet dropped
// included.
func (m *MemoryUsedCodes) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen)
}

type usedEntry struct {
	key [sha256.Size]byte
	exp int64
}

// expiryHeap is a min-heap of entries by expiry.
type expiryHeap []usedEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].exp < h[j].exp }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(usedEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
