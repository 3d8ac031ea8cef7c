package jwt

import (
	"context"
	"sync"
	"time"
)

// Revocations records revoked token IDs (a JWT's "jti") until they would
// have expired anyway. Implementations must be safe for concurrent use. A
// shared implementation (such as Redis) lets replicas see each other's
// revocations.
type Revocations interface {
	// IsRevoked reports whether tokenID has been revoked and the revocation
	// has not lapsed yet.
	IsRevoked(ctx context.Context, tokenID string) (bool, error)
	// Revoke marks tokenID as revoked until the given time, after which the
	// entry may be dropped (the token has expired by then).
	Revoke(ctx context.Context, tokenID string, until time.Time) error
}

// MemoryRevocations is an in-process Revocations. Entries are dropped once
// their until time has passed, so its size is bounded by the number of
// tokens revoked within one token lifetime. Create it with
// NewMemoryRevocations.
type MemoryRevocations struct {
	now       func() time.Time
	mu        sync.Mutex
	entries   map[string]time.Time
	nextSweep int
}

var _ Revocations = (*MemoryRevocations)(nil)

const minSweep = 1024

// NewMemoryRevocations returns an empty store reading the clock now (nil
// means time.Now).
func NewMemoryRevocations(now func() time.Time) *MemoryRevocations {
	if now == nil {
		now = time.Now
	}
	return &MemoryRevocations{now: now, entries: map[string]time.Time{}, nextSweep: minSweep}
}

// IsRevoked reports whether tokenID is revoked now.
func (m *MemoryRevocations) IsRevoked(_ context.Context, tokenID string) (bool, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	until, ok := m.entries[tokenID]
	if !ok {
		return false, nil
	}
	if !now.Before(until) {
		delete(m.entries, tokenID)
		return false, nil
	}
	return true, nil
}

// Revoke records tokenID as revoked until the given time. A revocation
// whose time has already passed is not stored.
func (m *MemoryRevocations) Revoke(_ context.Context, tokenID string, until time.Time) error {
	now := m.now()
	if !now.Before(until) {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.entries[tokenID]; !ok || until.After(old) {
		m.entries[tokenID] = until
	}
	if len(m.entries) >= m.nextSweep {
		for id, u := range m.entries {
			if !now.Before(u) {
				delete(m.entries, id)
			}
		}
		m.nextSweep = max(2*len(m.entries), minSweep)
	}
	return nil
}

// Len reports how many revocations are stored, lapsed ones included until
// the next sweep.
func (m *MemoryRevocations) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
