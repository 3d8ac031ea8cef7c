package store

import (
	"context"
	"fmt"
	"time"
)

// RevokedToken is one revoked access token: its id (a JWT's jti) and when
// the revocation may be forgotten (the token's own expiry).
type RevokedToken struct {
	ID    string
	Until time.Time
}

// RevokeToken records id as revoked until the given time; an existing
// revocation that lasts longer is kept. A time already past is a no-op.
func (s *Store) RevokeToken(ctx context.Context, id string, until time.Time) error {
	if !s.now().Before(until) {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO revoked_tokens (token_id, until_ms) VALUES (?, ?)
		ON CONFLICT (token_id) DO UPDATE SET until_ms = max(until_ms, excluded.until_ms)`, id, ceilMillis(until))
	if err != nil {
		return fmt.Errorf("store: revoke token: %w", err)
	}
	return nil
}

// IsTokenRevoked reports whether id is revoked now.
func (s *Store) IsTokenRevoked(ctx context.Context, id string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM revoked_tokens WHERE token_id = ? AND until_ms > ?`, id, s.now().UnixMilli()).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: is token revoked: %w", err)
	}
	return n > 0, nil
}

// RevokedTokens returns every revocation still in force, after deleting
// the lapsed ones.
func (s *Store) RevokedTokens(ctx context.Context) ([]RevokedToken, error) {
	now := s.now().UnixMilli()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM revoked_tokens WHERE until_ms <= ?`, now); err != nil {
		return nil, fmt.Errorf("store: revoked tokens: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT token_id, until_ms FROM revoked_tokens WHERE until_ms > ? ORDER BY until_ms`, now)
	if err != nil {
		return nil, fmt.Errorf("store: revoked tokens: %w", err)
	}
	defer rows.Close()
	var out []RevokedToken
	for rows.Next() {
		var r RevokedToken
		var ms int64
		if err := rows.Scan(&r.ID, &ms); err != nil {
			return nil, fmt.Errorf("store: revoked tokens: %w", err)
		}
		r.Until = time.UnixMilli(ms)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: revoked tokens: %w", err)
	}
	return out, nil
}

// ceilMillis returns t in Unix milliseconds, rounded up, so that a
// revocation never lapses before its time.
func ceilMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.After(time.UnixMilli(ms)) {
		ms++
	}
	return ms
}
