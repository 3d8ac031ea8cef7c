package auth

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// MemoryRefreshStore is an in-process RefreshStore for tests and
// single-process deployments. Records are dropped once their family has
// expired, so its size is bounded by the families alive at once. Create it
// with NewMemoryRefreshStore.
type MemoryRefreshStore struct {
	now       func() time.Time
	mu        sync.Mutex
	records   map[string]*RefreshRecord
	families  map[string][]string // family id -> hashes
	nextSweep int
}

var _ RefreshStore = (*MemoryRefreshStore)(nil)

// NewMemoryRefreshStore returns an empty store reading the clock now (nil
// means time.Now); the clock decides when expired families are dropped.
func NewMemoryRefreshStore(now func() time.Time) *MemoryRefreshStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryRefreshStore{
		now:       now,
		records:   map[string]*RefreshRecord{},
		families:  map[string][]string{},
		nextSweep: minSweep,
	}
}

// Create stores rec. A record with the same hash is a conflict.
func (m *MemoryRefreshStore) Create(_ context.Context, rec RefreshRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.insertLocked(rec)
}

func (m *MemoryRefreshStore) insertLocked(rec RefreshRecord) error {
	if _, dup := m.records[rec.Hash]; dup {
		return fmt.Errorf("auth: refresh: %w: duplicate hash", ErrConflict)
	}
	if len(m.records) >= m.nextSweep {
		m.sweepLocked()
	}
	m.records[rec.Hash] = &rec
	m.families[rec.FamilyID] = append(m.families[rec.FamilyID], rec.Hash)
	return nil
}

func (m *MemoryRefreshStore) sweepLocked() {
	now := m.now()
	for fam, hashes := range m.families {
		if len(hashes) == 0 {
			delete(m.families, fam)
			continue
		}
		if r := m.records[hashes[0]]; r != nil && now.Before(r.FamilyExpiresAt) {
			continue
		}
		for _, h := range hashes {
			delete(m.records, h)
		}
		delete(m.families, fam)
	}
	m.nextSweep = max(2*len(m.records), minSweep)
}

// Get returns a copy of the record with the given hash.
func (m *MemoryRefreshStore) Get(_ context.Context, hash string) (RefreshRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[hash]
	if !ok {
		return RefreshRecord{}, fmt.Errorf("auth: refresh: %w", ErrNotFound)
	}
	return *r, nil
}

// Rotate marks oldHash used and stores next atomically, if oldHash is
// unused and not revoked.
func (m *MemoryRefreshStore) Rotate(_ context.Context, oldHash string, usedAt time.Time, next RefreshRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.records[oldHash]
	switch {
	case !ok:
		return fmt.Errorf("auth: refresh: %w", ErrNotFound)
	case old.Revoked || !old.UsedAt.IsZero():
		return fmt.Errorf("auth: refresh: %w", ErrConflict)
	}
	if err := m.insertLocked(next); err != nil {
		return err
	}
	old.UsedAt = usedAt
	return nil
}

// RevokeFamily marks every record of the family revoked.
func (m *MemoryRefreshStore) RevokeFamily(_ context.Context, familyID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, h := range m.families[familyID] {
		if r := m.records[h]; r != nil {
			r.Revoked = true
		}
	}
	return nil
}

// Len reports how many records are stored.
func (m *MemoryRefreshStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.records)
}
