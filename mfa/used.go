package mfa

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/expiring"
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

// MemoryUsedCodes is an in-process UsedCodes: a bounded set of the SHA-256 of
// each key (so an entry's size does not depend on the key's) with its
// expiry. Expired entries are dropped on every call; no goroutine runs. It
// is safe for concurrent use.
type MemoryUsedCodes struct {
	set *expiring.Set
	now func() time.Time
}

var _ UsedCodes = (*MemoryUsedCodes)(nil)

// NewMemoryUsedCodes returns an empty in-memory store. It fails only on
// invalid options, with an error wrapping rampart.ErrConfig.
func NewMemoryUsedCodes(opts MemoryUsedCodesOptions) (*MemoryUsedCodes, error) {
	if opts.MaxEntries < 0 {
		return nil, fmt.Errorf("%w: mfa: MaxEntries %d must not be negative", rampart.ErrConfig, opts.MaxEntries)
	}
	if opts.MaxEntries == 0 {
		opts.MaxEntries = DefaultMaxUsedCodes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &MemoryUsedCodes{set: expiring.New(opts.MaxEntries), now: opts.Now}, nil
}

// MarkUsed implements UsedCodes. An until not after now records nothing
// and reports a first use (the entry would already have expired). It fails
// with ErrUsedCodesFull when MaxEntries live entries are held.
func (m *MemoryUsedCodes) MarkUsed(_ context.Context, key string, until time.Time) (bool, error) {
	switch o, _ := m.set.Add(sha256.Sum256([]byte(key)), until.UnixNano(), m.now().UnixNano()); o {
	case expiring.Present:
		return false, nil
	case expiring.Full:
		return false, fmt.Errorf("%w: %d live entries", ErrUsedCodesFull, m.set.Max())
	}
	return true, nil
}

// Len reports how many entries are held, expired ones not yet dropped
// included.
func (m *MemoryUsedCodes) Len() int { return m.set.Len() }
