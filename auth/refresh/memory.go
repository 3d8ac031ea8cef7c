package refresh

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rampart-go/rampart/auth"
)

// MemoryStore is an in-process Store for tests and single-process
// deployments. Records are dropped once their family has expired, so its
// size is bounded by the families alive at once. Create it with
// NewMemoryStore.
type MemoryStore struct {
	now       func() time.Time
	mu        sync.Mutex
	records   map[string]*Record
	families  map[string][]string // family id -> hashes
	nextSweep int
}

var _ Store = (*MemoryStore)(nil)

// minSweep is the table size below which MemoryStore does not sweep.
const minSweep = 1024

// NewMemoryStore returns an empty store reading the clock now (nil
// means time.Now); the clock decides when expired families are dropped.
func NewMemoryStore(now func() time.Time) *MemoryStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{
		now:       now,
		records:   map[string]*Record{},
		families:  map[string][]string{},
		nextSweep: minSweep,
	}
}

// Create stores rec. A record with the same hash is a conflict.
func (m *MemoryStore) Create(_ context.Context, rec Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.insertLocked(rec)
}

func (m *MemoryStore) insertLocked(rec Record) error {
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

func (m *MemoryStore) sweepLocked() {
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
func (m *MemoryStore) Get(_ context.Context, hash string) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[hash]
	if !ok {
		return Record{}, fmt.Errorf("auth: refresh: %w", auth.ErrNotFound)
	}
	return *r, nil
}

// Rotate marks oldHash used and stores next atomically, if oldHash is
// unused and not revoked.
func (m *MemoryStore) Rotate(_ context.Context, oldHash string, usedAt time.Time, next Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.records[oldHash]
	switch {
	case !ok:
		return fmt.Errorf("auth: refresh: %w", auth.ErrNotFound)
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
func (m *MemoryStore) RevokeFamily(_ context.Context, familyID string) error {
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
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.records)
}
