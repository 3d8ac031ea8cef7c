package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rampart-go/rampart/demo/graph/model"
)

const userCols = `seq, id, email, name, password_hash, role, created_at, website`

func scanUser(row interface{ Scan(...any) error }) (*model.User, int64, error) {
	var (
		u       model.User
		seq     int64
		email   string
		website sql.NullString
	)
	if err := row.Scan(&seq, &u.ID, &email, &u.Name, &u.PasswordHash, &u.Role, &u.CreatedAt, &website); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, 0, ErrNotFound
		}
		return nil, 0, fmt.Errorf("store: %w", err)
	}
	u.Email = &email
	if website.Valid {
		u.Website = &website.String
	}
	return &u, seq, nil
}

// CreateUser stores a new user. The email must not be registered yet
// (compared case-insensitively), else ErrConflict.
func (s *Store) CreateUser(ctx context.Context, email, name, passwordHash string, role model.Role) (*model.User, error) {
	id, now := NewID(), s.stamp()
	_, err := s.db.ExecContext(ctx, `INSERT INTO users (id, email, name, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		id, email, name, passwordHash, string(role), now)
	if isConstraint(err) {
		return nil, ErrConflict
	}
	if err != nil {
		return nil, fmt.Errorf("store: create user: %w", err)
	}
	return s.UserByID(ctx, id)
}

// UserByID returns the user with id, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (*model.User, error) {
	u, _, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, err
}

// UserByEmail returns the user registered with email (case-insensitive), or
// ErrNotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (*model.User, error) {
	u, _, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, email))
	return u, err
}

// SetUserRole changes a user's role.
func (s *Store) SetUserRole(ctx context.Context, id string, role model.Role) (*model.User, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET role = ? WHERE id = ?`, string(role), id)
	if err != nil {
		return nil, fmt.Errorf("store: set role: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ErrNotFound
	}
	return s.UserByID(ctx, id)
}

// SetWebsite sets (or, with nil, clears) a user's website.
func (s *Store) SetWebsite(ctx context.Context, id string, website *string) (*model.User, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET website = ? WHERE id = ?`, website, id)
	if err != nil {
		return nil, fmt.Errorf("store: set website: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ErrNotFound
	}
	return s.UserByID(ctx, id)
}

// ReplacePasswordHash sets id's password hash to hash only if it is still
// old (a compare-and-set), and reports whether it did: a rehash at login
// must never overwrite a password changed in the meantime.
func (s *Store) ReplacePasswordHash(ctx context.Context, id, old, hash string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?`, hash, id, old)
	if err != nil {
		return false, fmt.Errorf("store: replace password: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: replace password: %w", err)
	}
	return n == 1, nil
}

// SetPasswordHash replaces a user's password hash (a password change).
func (s *Store) SetPasswordHash(ctx context.Context, id, hash string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id)
	if err != nil {
		return fmt.Errorf("store: set password: %w", err)
	}
	return nil
}

func (s *Store) listUsers(ctx context.Context, p Page, query string, args ...any) ([]*model.User, *model.PageInfo, error) {
	limit, after, err := p.limits()
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.db.QueryContext(ctx, query, append(args, after, limit+1)...)
	if err != nil {
		return nil, nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	var (
		users []*model.User
		seqs  []int64
	)
	for rows.Next() {
		u, seq, err := scanUser(rows)
		if err != nil {
			return nil, nil, err
		}
		users, seqs = append(users, u), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: list users: %w", err)
	}
	pi := pageInfo(len(users), limit, seqs)
	return users[:min(len(users), limit)], pi, nil
}

// ListUsers returns one page of all users, oldest first.
func (s *Store) ListUsers(ctx context.Context, p Page) ([]*model.User, *model.PageInfo, error) {
	return s.listUsers(ctx, p, `SELECT `+userCols+` FROM users WHERE seq > ? ORDER BY seq LIMIT ?`)
}

// Follow records that follower follows followee. Following twice is
// ErrConflict; following oneself or an unknown user is ErrNotFound.
func (s *Store) Follow(ctx context.Context, follower, followee string) error {
	if follower == followee {
		return ErrConflict
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO follows (follower_id, followee_id, created_at) VALUES (?, ?, ?)`, follower, followee, s.stamp())
	switch {
	case isForeignKey(err):
		return ErrNotFound
	case isConstraint(err):
		return ErrConflict
	case err != nil:
		return fmt.Errorf("store: follow: %w", err)
	}
	return nil
}

// Followers returns one page of the users who follow userID.
func (s *Store) Followers(ctx context.Context, userID string, p Page) ([]*model.User, *model.PageInfo, error) {
	return s.listUsers(ctx, p, `SELECT f.seq, u.id, u.email, u.name, u.password_hash, u.role, u.created_at, u.website
		FROM follows f JOIN users u ON u.id = f.follower_id
		WHERE f.followee_id = ? AND f.seq > ? ORDER BY f.seq LIMIT ?`, userID)
}

// Following returns one page of the users userID follows.
func (s *Store) Following(ctx context.Context, userID string, p Page) ([]*model.User, *model.PageInfo, error) {
	return s.listUsers(ctx, p, `SELECT f.seq, u.id, u.email, u.name, u.password_hash, u.role, u.created_at, u.website
		FROM follows f JOIN users u ON u.id = f.followee_id
		WHERE f.follower_id = ? AND f.seq > ? ORDER BY f.seq LIMIT ?`, userID)
}
