package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// MFA is a user's second-factor state.
type MFA struct {
	// Secret is the active TOTP secret; "" means MFA is off.
	Secret string
	// Pending is a secret enrolled but not yet confirmed with a code.
	Pending string
	// RecoveryHashes are the hashes of the unused recovery codes.
	RecoveryHashes []string
}

// MFA returns user id's second-factor state.
func (s *Store) MFA(ctx context.Context, id string) (MFA, error) {
	var (
		m               MFA
		secret, pending sql.NullString
		recovery        string
	)
	err := s.db.QueryRowContext(ctx, `SELECT mfa_secret, mfa_pending, mfa_recovery FROM users WHERE id = ?`, id).Scan(&secret, &pending, &recovery)
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("store: mfa: %w", err)
	}
	m.Secret, m.Pending, m.RecoveryHashes = secret.String, pending.String, strings.Fields(recovery)
	return m, nil
}

// SetMFAPending stores a freshly enrolled secret and its recovery-code
// hashes; the secret becomes active only with ActivateMFA.
func (s *Store) SetMFAPending(ctx context.Context, id, secret string, recoveryHashes []string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE users SET mfa_pending = ?, mfa_pending_recovery = ? WHERE id = ?`,
		secret, strings.Join(recoveryHashes, " "), id)
	if err != nil {
		return fmt.Errorf("store: mfa: %w", err)
	}
	return nil
}

// ActivateMFA makes the pending secret (which must equal pending) and its
// recovery codes active, replacing any earlier ones.
func (s *Store) ActivateMFA(ctx context.Context, id, pending string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET mfa_secret = mfa_pending, mfa_recovery = mfa_pending_recovery,
		mfa_pending = NULL, mfa_pending_recovery = '' WHERE id = ? AND mfa_pending = ?`, id, pending)
	if err != nil {
		return fmt.Errorf("store: mfa: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrConflict
	}
	return nil
}

// UseRecoveryHash removes one recovery-code hash, atomically: of two
// concurrent uses of one code only one succeeds (ErrConflict otherwise).
func (s *Store) UseRecoveryHash(ctx context.Context, id string, before []string, used int) error {
	after := append(append([]string(nil), before[:used]...), before[used+1:]...)
	res, err := s.db.ExecContext(ctx, `UPDATE users SET mfa_recovery = ? WHERE id = ? AND mfa_recovery = ?`,
		strings.Join(after, " "), id, strings.Join(before, " "))
	if err != nil {
		return fmt.Errorf("store: mfa: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrConflict
	}
	return nil
}
