package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/refresh"
)

// RefreshStore keeps refresh-token records (hashes only) in the demo
// database. It implements refresh.Store.
type RefreshStore struct{ s *Store }

var _ refresh.Store = RefreshStore{}

// RefreshTokens returns the store's refresh.Store.
func (s *Store) RefreshTokens() RefreshStore { return RefreshStore{s} }

// timeLayout is fixed-width, so that stored times compare correctly as
// strings in SQL.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// Create stores a new record.
func (r RefreshStore) Create(ctx context.Context, rec refresh.Record) error {
	_, err := r.s.db.ExecContext(ctx, `INSERT INTO refresh_tokens (hash, family_id, subject, created_at, expires_at, family_expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		rec.Hash, rec.FamilyID, rec.Subject, ts(rec.CreatedAt), ts(rec.ExpiresAt), ts(rec.FamilyExpiresAt))
	if isConstraint(err) {
		return fmt.Errorf("store: refresh: %w", refresh.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: refresh: %w", err)
	}
	return nil
}

// Get returns the record with hash, or an error wrapping auth.ErrNotFound.
func (r RefreshStore) Get(ctx context.Context, hash string) (refresh.Record, error) {
	var (
		rec                          refresh.Record
		created, expires, famExpires string
		used                         sql.NullString
		revoked                      int
	)
	err := r.s.db.QueryRowContext(ctx, `SELECT hash, family_id, subject, created_at, expires_at, family_expires_at, used_at, revoked FROM refresh_tokens WHERE hash = ?`, hash).
		Scan(&rec.Hash, &rec.FamilyID, &rec.Subject, &created, &expires, &famExpires, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return rec, fmt.Errorf("store: refresh: %w", auth.ErrNotFound)
	}
	if err != nil {
		return rec, fmt.Errorf("store: refresh: %w", err)
	}
	rec.CreatedAt, rec.ExpiresAt, rec.FamilyExpiresAt = parseTS(created), parseTS(expires), parseTS(famExpires)
	if used.Valid {
		rec.UsedAt = parseTS(used.String)
	}
	rec.Revoked = revoked != 0
	return rec, nil
}

// Rotate marks oldHash used and stores next in one transaction, only if
// oldHash is unused and not revoked (compare-and-set on used_at).
func (r RefreshStore) Rotate(ctx context.Context, oldHash string, usedAt time.Time, next refresh.Record) error {
	tx, err := r.s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: refresh: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL AND revoked = 0`, ts(usedAt), oldHash)
	if err != nil {
		return fmt.Errorf("store: refresh: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("store: refresh: %w", refresh.ErrConflict)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO refresh_tokens (hash, family_id, subject, created_at, expires_at, family_expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		next.Hash, next.FamilyID, next.Subject, ts(next.CreatedAt), ts(next.ExpiresAt), ts(next.FamilyExpiresAt)); isConstraint(err) {
		return fmt.Errorf("store: refresh: %w", refresh.ErrConflict) // next.Hash exists: nothing changes (rollback)
	} else if err != nil {
		return fmt.Errorf("store: refresh: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: refresh: %w", err)
	}
	return nil
}

// RevokeFamily marks every record of the family revoked.
func (r RefreshStore) RevokeFamily(ctx context.Context, familyID string) error {
	if _, err := r.s.db.ExecContext(ctx, `UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?`, familyID); err != nil {
		return fmt.Errorf("store: refresh: %w", err)
	}
	return nil
}
