package store

import (
	"context"
	"fmt"
	"time"
)

// SessionCutoff is when every session of a subject was revoked, and when
// the record may be forgotten.
type SessionCutoff struct {
	Subject   string
	At, Until time.Time
}

// CutSessions records at as subject's session cutoff until the given
// time. A later cutoff is never replaced by an earlier one, and the record
// lasts as long as the longest until. A time already past is a no-op.
func (s *Store) CutSessions(ctx context.Context, subject string, at, until time.Time) error {
	if !s.now().Before(until) {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO session_cutoffs (subject, at_ms, until_ms) VALUES (?, ?, ?)
		ON CONFLICT (subject) DO UPDATE SET at_ms = max(at_ms, excluded.at_ms), until_ms = max(until_ms, excluded.until_ms)`,
		subject, at.UnixMilli(), ceilMillis(until))
	if err != nil {
		return fmt.Errorf("store: cut sessions: %w", err)
	}
	return nil
}

// SessionCutoffs returns every cutoff still in force, after deleting the
// lapsed ones.
func (s *Store) SessionCutoffs(ctx context.Context) ([]SessionCutoff, error) {
	now := s.now().UnixMilli()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM session_cutoffs WHERE until_ms <= ?`, now); err != nil {
		return nil, fmt.Errorf("store: session cutoffs: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT subject, at_ms, until_ms FROM session_cutoffs WHERE until_ms > ? ORDER BY subject`, now)
	if err != nil {
		return nil, fmt.Errorf("store: session cutoffs: %w", err)
	}
	defer rows.Close()
	var out []SessionCutoff
	for rows.Next() {
		var c SessionCutoff
		var at, until int64
		if err := rows.Scan(&c.Subject, &at, &until); err != nil {
			return nil, fmt.Errorf("store: session cutoffs: %w", err)
		}
		c.At, c.Until = time.UnixMilli(at), time.UnixMilli(until)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: session cutoffs: %w", err)
	}
	return out, nil
}
