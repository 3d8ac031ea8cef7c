package ratelimit

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/rampart-go/rampart"
)

// DefaultMaxKeys is the default bound on the number of buckets a Memory
// limiter keeps.
const DefaultMaxKeys = 100_000

// maxShards is the number of independently locked partitions of the key
// table when MaxKeys is large enough.
const maxShards = 64

// idleScan is how many buckets at the tail of a shard's queue an insert inspects, beyond
// the one it must evict when its shard is full, to drop buckets that have
// refilled (and so carry no information).
const idleScan = 2

// MemoryOptions configures NewMemory. The zero value is the hardened default.
type MemoryOptions struct {
	// MaxKeys bounds how many keys (buckets) are kept at once. Zero means
	// DefaultMaxKeys (100,000: roughly 17 MB). Negative is an error. See
	// Memory for the eviction policy.
	MaxKeys int
	// Now returns the current time. Nil means the monotonic clock (see
	// Memory). Tests inject a fake clock here.
	Now func() time.Time
}

// Memory is an in-process Limiter: one token bucket per key (the arithmetic of
// golang.org/x/time/rate, kept in step with it by a test, under the shard's
// lock instead of a mutex of its own), in a key table split into up to 64 independently locked shards chosen
// by a per-instance seeded hash of the key (so callers cannot aim many keys at
// one shard).
//
// The table is bounded by MaxKeys; it never grows past it and runs no
// goroutine. Eviction is lazy and happens when a new key is inserted into a
// shard:
//
//   - A bucket that has refilled to its burst carries no information (a fresh
//     bucket would decide the same). Once the shard is at least half full,
//     up to two buckets at the tail of its queue are dropped if they are
//     full, so the table shrinks back after a burst of keys.
//   - If the shard is still at its share of MaxKeys, the bucket at the tail
//     is dropped, full or not, unless it was used since it was put at the
//     front: then it goes back to the front (CLOCK's second chance, an
//     approximation of least recently used), and the next one is examined.
//     New buckets enter unused, so a flood of keys used once each evicts
//     itself before it evicts callers that come back.
//
// A hit only marks its bucket used: it moves nothing, so concurrent
// decisions on other keys of the shard share no more memory than the lock.
//
// Dropping a bucket that was not full can only favour its caller (the next
// request finds a full bucket); it never locks anyone out. An attacker able to
// touch more than MaxKeys distinct keys within one refill period can thereby
// reset other callers' buckets early, so size MaxKeys above the number of keys
// you expect to be active within your longest Period, and derive keys from
// values an attacker cannot mint freely (an authenticated subject, a client IP
// or prefix) rather than from arbitrary input. The bound counts buckets, not
// key bytes: keep keys short.
//
// When a key is used with a Rate different from the one its bucket was last
// used with, the bucket is updated in place: the tokens it holds are kept,
// capped at the new burst. A full bucket is the same as no bucket, so a bucket
// that was full under the old rate is full under the new one. Redis behaves
// the same way.
//
// Memory also implements Resetter. It is safe for concurrent use.
type Memory struct {
	shards  []shard
	mask    uint64
	perCap  int
	maxKeys int
	seed    maphash.Seed
	clock   func() int64 // nanoseconds; see NewMemory
}

var (
	_ Limiter  = (*Memory)(nil)
	_ Resetter = (*Memory)(nil)
)

type shard struct {
	mu sync.Mutex
	m  map[string]*entry
	// The queue: new entries enter at head; eviction examines tail.
	head, tail *entry
	_          [64]byte // keep shards' locks on separate cache lines
}

type entry struct {
	key        string
	rate       Rate // as given by the caller; compared to detect changes
	b          bucket
	used       bool // used since it entered the front of the queue
	prev, next *entry
}

// NewMemory returns an in-memory Limiter. It fails only on invalid options.
func NewMemory(opts MemoryOptions) (*Memory, error) {
	if opts.MaxKeys < 0 {
		return nil, fmt.Errorf("%w: ratelimit: MaxKeys %d must not be negative", rampart.ErrConfig, opts.MaxKeys)
	}
	maxKeys := opts.MaxKeys
	if maxKeys == 0 {
		maxKeys = DefaultMaxKeys
	}
	// Keep at least 16 keys per shard so that per-shard eviction approximates a
	// global one, and never exceed MaxKeys in total.
	n := maxShards
	for n > 1 && maxKeys/n < 16 {
		n /= 2
	}
	clock := monotonicClock()
	if opts.Now != nil {
		clock = injectedClock(opts.Now)
	}
	m := &Memory{
		shards:  make([]shard, n),
		mask:    uint64(n - 1),
		perCap:  maxKeys / n,
		maxKeys: maxKeys,
		seed:    maphash.MakeSeed(),
		clock:   clock,
	}
	for i := range m.shards {
		m.shards[i].m = make(map[string]*entry)
	}
	return m, nil
}

// monotonicClock returns a clock that reads only the monotonic clock, in
// nanoseconds since the limiter was made. Buckets only compare and subtract
// readings, so the wall clock (which time.Now reads too, a second clock
// read: about 20 ns on a VM's kvm-clock) adds nothing but cost; a
// wall-clock step (NTP) cannot move a bucket either.
func monotonicClock() func() int64 {
	base := time.Now()
	return func() int64 { return int64(time.Since(base)) }
}

// injectedClock turns MemoryOptions.Now into nanoseconds since its first
// reading (time.Time.Sub saturates instead of overflowing).
func injectedClock(now func() time.Time) func() int64 {
	base := now()
	return func() int64 { return int64(now().Sub(base)) }
}

// MaxKeys returns the bound on the number of buckets kept.
func (m *Memory) MaxKeys() int { return m.maxKeys }

// Len returns the number of buckets currently kept; it never exceeds MaxKeys.
func (m *Memory) Len() int {
	total := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		total += len(s.m)
		s.mu.Unlock()
	}
	return total
}

// Allow spends n tokens from key's bucket under r if it holds at least n, and
// reports the outcome. n == 0 spends nothing and reports the bucket's state (a
// peek; Allowed is true). A request for more than the burst can never
// succeed: it is refused without spending, with RetryAfter set to the time the
// whole bucket takes to refill, so that a client backs off rather than
// retrying at once. An invalid r or a negative n returns an error wrapping
// ErrInvalidRate or ErrInvalidN and a refusing Decision. ctx is not used: the
// in-memory limiter never blocks.
func (m *Memory) Allow(_ context.Context, key string, r Rate, n int) (Decision, error) {
	if err := r.Validate(); err != nil {
		return Decision{}, err
	}
	if n < 0 {
		return refused(r, 0), fmt.Errorf("%w: %d", ErrInvalidN, n)
	}
	now := m.clock()
	burst := r.Capacity()
	s := &m.shards[maphash.String(m.seed, key)&m.mask]

	s.mu.Lock()
	e := s.m[key]
	if e == nil {
		if n == 0 {
			s.mu.Unlock()
			// A peek at an unknown key: a fresh bucket, not worth storing.
			return Decision{Allowed: true, Limit: burst, Remaining: burst}, nil
		}
		e = s.insert(key, r, now, m.perCap)
	} else {
		e.used = true
		if e.rate != r {
			e.b.retune(now, r.perSecond(), burst)
			e.rate = r
		}
	}
	// Spend only whole tokens that are there: x/time/rate's AllowN rounds
	// a deficit shorter than a nanosecond down to no wait, which at more
	// than a token per nanosecond would allow n tokens out of n-1.
	tokens := e.b.at(now)
	ok := tokens >= float64(n)
	if ok {
		tokens -= float64(n)
		e.b.set(now, tokens)
	}
	perSecond := e.b.perSecond
	s.mu.Unlock()

	d := Decision{
		Allowed:    ok,
		Limit:      burst,
		Remaining:  whole(tokens, burst),
		ResetAfter: durationFor(float64(burst)-tokens, perSecond),
	}
	if !ok {
		need := float64(n) - tokens
		if n > burst {
			need = float64(burst)
		}
		d.RetryAfter = max(durationFor(need, perSecond), 1)
	}
	return d, nil
}

// Reset forgets key's bucket, so its next request finds it full. It
// implements Resetter and never fails.
func (m *Memory) Reset(_ context.Context, key string) error {
	s := &m.shards[maphash.String(m.seed, key)&m.mask]
	s.mu.Lock()
	if e := s.m[key]; e != nil {
		s.remove(e)
	}
	s.mu.Unlock()
	return nil
}

// insert adds a full bucket for key, evicting as described on Memory. s.mu
// must be held.
func (s *shard) insert(key string, r Rate, now int64, perCap int) *entry {
	// Below half the shard's share the table is cheap; dropping refilled
	// buckets there would only make active callers with fast-refilling
	// buckets churn (evicted, then re-inserted on their next request).
	if 2*len(s.m) >= perCap {
		for range idleScan {
			t := s.tail
			if t == nil || t.b.at(now) < t.b.burst {
				break
			}
			s.remove(t)
		}
	}
	for len(s.m) >= perCap {
		t := s.tail
		if t.used { // second chance: back to the front, unused
			t.used = false
			s.unlink(t)
			s.pushFront(t)
			continue
		}
		s.remove(t)
	}
	e := &entry{key: key, rate: r, b: newBucket(now, r.perSecond(), r.Capacity())}
	s.m[key] = e
	s.pushFront(e)
	return e
}

func (s *shard) pushFront(e *entry) {
	e.prev = nil
	e.next = s.head
	if s.head != nil {
		s.head.prev = e
	}
	s.head = e
	if s.tail == nil {
		s.tail = e
	}
}

func (s *shard) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		s.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (s *shard) remove(e *entry) {
	s.unlink(e)
	delete(s.m, e.key)
}
