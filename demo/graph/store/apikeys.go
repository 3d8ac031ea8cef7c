package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/apikey"
	"github.com/rampart-go/rampart/demo/graph/model"
)

// APIKeys is the demo's apikey.Store.
type APIKeys struct{ s *Store }

var _ apikey.Store = APIKeys{}

// APIKeys returns the store's API-key table.
func (s *Store) APIKeys() APIKeys { return APIKeys{s} }

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

// Create stores a new key record.
func (k APIKeys) Create(ctx context.Context, rec apikey.Record, name string) error {
	_, err := k.s.db.ExecContext(ctx, `INSERT INTO api_keys (id, subject, hash, name, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		rec.ID, rec.Subject, rec.Hash, name, strings.Join(rec.Scopes, " "), ts(rec.CreatedAt), nullTime(rec.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store: api key: %w", err)
	}
	return nil
}

const apiKeyCols = `k.id, k.subject, k.hash, k.name, k.scopes, k.created_at, k.expires_at, k.last_used_at, k.revoked, u.role`

func scanAPIKey(row interface{ Scan(...any) error }) (model.APIKey, error) {
	var (
		key               model.APIKey
		scopes, created   string
		expires, lastUsed sql.NullString
		revoked           int
		role              string
	)
	err := row.Scan(&key.Record.ID, &key.Record.Subject, &key.Record.Hash, &key.Name, &scopes, &created, &expires, &lastUsed, &revoked, &role)
	if errors.Is(err, sql.ErrNoRows) {
		return key, fmt.Errorf("store: api key: %w", auth.ErrNotFound)
	}
	if err != nil {
		return key, fmt.Errorf("store: api key: %w", err)
	}
	key.Record.Scopes = strings.Fields(scopes)
	// The key acts with its owner's current role: demoting a user demotes
	// their keys at once.
	key.Record.Roles = []string{role}
	key.Record.CreatedAt = parseTS(created)
	if expires.Valid {
		key.Record.ExpiresAt = parseTS(expires.String)
	}
	if lastUsed.Valid {
		key.LastUsedAt = parseTS(lastUsed.String)
	}
	key.Record.Revoked = revoked != 0
	return key, nil
}

// Lookup implements apikey.Store.
func (k APIKeys) Lookup(ctx context.Context, id string) (apikey.Record, error) {
	key, err := scanAPIKey(k.s.db.QueryRowContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys k JOIN users u ON u.id = k.subject WHERE k.id = ?`, id))
	return key.Record, err
}

// Get returns subject's key id, or an error wrapping auth.ErrNotFound when
// there is none (including when the key belongs to someone else).
func (k APIKeys) Get(ctx context.Context, subject, id string) (model.APIKey, error) {
	return scanAPIKey(k.s.db.QueryRowContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys k JOIN users u ON u.id = k.subject WHERE k.id = ? AND k.subject = ?`, id, subject))
}

// List returns subject's keys, newest first.
func (k APIKeys) List(ctx context.Context, subject string) ([]model.APIKey, error) {
	rows, err := k.s.db.QueryContext(ctx, `SELECT `+apiKeyCols+` FROM api_keys k JOIN users u ON u.id = k.subject WHERE k.subject = ? ORDER BY k.created_at DESC LIMIT 100`, subject)
	if err != nil {
		return nil, fmt.Errorf("store: api keys: %w", err)
	}
	defer rows.Close()
	var keys []model.APIKey
	for rows.Next() {
		key, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return keys, rows.Err()
}

// Revoke revokes subject's key id; another subject's key is ErrNotFound.
func (k APIKeys) Revoke(ctx context.Context, subject, id string) error {
	res, err := k.s.db.ExecContext(ctx, `UPDATE api_keys SET revoked = 1 WHERE id = ? AND subject = ?`, id, subject)
	if err != nil {
		return fmt.Errorf("store: api key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: api key: %w", auth.ErrNotFound)
	}
	return nil
}

// ExpireBy brings subject's key id's expiry forward to at (never later than
// it already is): the end of a rotation's overlap.
func (k APIKeys) ExpireBy(ctx context.Context, subject, id string, at time.Time) error {
	res, err := k.s.db.ExecContext(ctx, `UPDATE api_keys SET expires_at = ? WHERE id = ? AND subject = ? AND revoked = 0 AND (expires_at IS NULL OR expires_at > ?)`,
		ts(at), id, subject, ts(at))
	if err != nil {
		return fmt.Errorf("store: api key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := k.Get(ctx, subject, id); err != nil {
			return err
		}
	}
	return nil
}

// Touch records that key id was used at t, at most once a minute per key.
func (k APIKeys) Touch(ctx context.Context, id string, t time.Time) error {
	_, err := k.s.db.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
		ts(t), id, ts(t.Add(-time.Minute)))
	if err != nil {
		return fmt.Errorf("store: api key: %w", err)
	}
	return nil
}
