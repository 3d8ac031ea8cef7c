package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Defaults of RefreshOptions.
const (
	// DefaultRefreshTTL is how long one refresh token stays usable.
	DefaultRefreshTTL = 14 * 24 * time.Hour
	// DefaultRefreshFamilyLifetime is how long a chain of rotated refresh
	// tokens may last before the user must log in again.
	DefaultRefreshFamilyLifetime = 90 * 24 * time.Hour
)

// refreshTokenBytes is the entropy of a refresh token: 256 bits.
const refreshTokenBytes = 32

// refreshTokenLen is the length of its unpadded base64url form.
var refreshTokenLen = base64.RawURLEncoding.EncodedLen(refreshTokenBytes)

// RefreshRecord is what a RefreshStore keeps for one refresh token. The
// token itself is never stored, only its SHA-256 hash.
type RefreshRecord struct {
	// Hash is the lowercase hex SHA-256 of the token string; the key.
	Hash string
	// FamilyID groups the tokens rotated from one login.
	FamilyID string
	// Subject is the user the token was issued to.
	Subject string
	// CreatedAt is when the token was issued.
	CreatedAt time.Time
	// ExpiresAt is when the token stops being usable.
	ExpiresAt time.Time
	// FamilyExpiresAt is when the whole family stops being usable; records
	// may be deleted after it.
	FamilyExpiresAt time.Time
	// UsedAt is when the token was rotated; zero while it is unused.
	UsedAt time.Time
	// Revoked is set on every record of a family by RevokeFamily.
	Revoked bool
}

// RefreshStore persists refresh-token records. Implementations must be safe
// for concurrent use, and Rotate must be atomic with respect to itself and
// to RevokeFamily (a transaction or a compare-and-set), so that two
// concurrent rotations of one token cannot both succeed.
type RefreshStore interface {
	// Create stores a new record.
	Create(ctx context.Context, rec RefreshRecord) error
	// Get returns the record with the given hash, or an error wrapping
	// ErrNotFound.
	Get(ctx context.Context, hash string) (RefreshRecord, error)
	// Rotate marks the record oldHash as used at usedAt and stores next, in
	// one atomic step, only if oldHash exists, is unused and is not
	// revoked; otherwise it changes nothing and returns an error wrapping
	// ErrConflict (or ErrNotFound).
	Rotate(ctx context.Context, oldHash string, usedAt time.Time, next RefreshRecord) error
	// RevokeFamily marks every record of the family as revoked.
	RevokeFamily(ctx context.Context, familyID string) error
}

// RefreshOptions configures RefreshTokens. The zero value is the default.
type RefreshOptions struct {
	// TTL is how long each refresh token stays usable. Zero means
	// DefaultRefreshTTL (14 days).
	TTL time.Duration
	// FamilyLifetime bounds a whole chain of rotations from one login. Zero
	// means DefaultRefreshFamilyLifetime (90 days). It must be at least TTL.
	FamilyLifetime time.Duration
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// RefreshTokens issues opaque refresh tokens (256 random bits, base64url),
// rotates them on every use and detects reuse: presenting a token that was
// already rotated revokes its whole family, so a thief and the victim both
// lose it (OAuth 2.0 Security BCP, RFC 9700 §4.14.2). It is safe for
// concurrent use.
type RefreshTokens struct {
	store          RefreshStore
	ttl, familyTTL time.Duration
	now            func() time.Time
}

// NewRefreshTokens returns a manager over store.
func NewRefreshTokens(store RefreshStore, opts RefreshOptions) (*RefreshTokens, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: refresh: nil RefreshStore", ErrConfig)
	}
	r := &RefreshTokens{store: store, ttl: opts.TTL, familyTTL: opts.FamilyLifetime, now: opts.Now}
	if r.ttl == 0 {
		r.ttl = DefaultRefreshTTL
	}
	if r.familyTTL == 0 {
		r.familyTTL = max(DefaultRefreshFamilyLifetime, r.ttl)
	}
	if r.ttl < 0 || r.familyTTL < r.ttl {
		return nil, fmt.Errorf("%w: refresh: TTL %v and FamilyLifetime %v (want 0 < TTL <= FamilyLifetime)", ErrConfig, r.ttl, r.familyTTL)
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r, nil
}

// HashRefreshToken returns the store key of a refresh token: the lowercase
// hex SHA-256 of the token string.
func HashRefreshToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newRefreshToken() string {
	var b [refreshTokenBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// parseRefreshToken checks the token's shape before any store lookup.
func parseRefreshToken(token string) (hash string, err error) {
	if len(token) != refreshTokenLen {
		return "", fmt.Errorf("auth: refresh: %w: wrong length", ErrInvalidToken)
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(token); err != nil {
		return "", fmt.Errorf("auth: refresh: %w: not base64url", ErrInvalidToken)
	}
	return HashRefreshToken(token), nil
}

func errStore(op string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("auth: refresh: %w: unknown token", ErrInvalidToken)
	}
	return fmt.Errorf("auth: refresh: %s: %w: %w: %w", op, ErrInvalidToken, ErrUnavailable, err)
}

// Issue starts a new family for subject (at login) and returns its first
// refresh token. Show the token to the client once; only its hash is kept.
func (r *RefreshTokens) Issue(ctx context.Context, subject string) (string, error) {
	if subject == "" {
		return "", errors.New("auth: refresh: cannot issue a token without a subject")
	}
	now := r.now()
	token := newRefreshToken()
	rec := RefreshRecord{
		Hash:            HashRefreshToken(token),
		FamilyID:        rand.Text(),
		Subject:         subject,
		CreatedAt:       now,
		ExpiresAt:       now.Add(r.ttl),
		FamilyExpiresAt: now.Add(r.familyTTL),
	}
	if err := r.store.Create(ctx, rec); err != nil {
		return "", fmt.Errorf("auth: refresh: create: %w", err)
	}
	return token, nil
}

// Rotate exchanges token for a new one in the same family and returns the
// subject it belongs to. Errors wrap ErrInvalidToken (malformed or
// unknown), ErrExpired, or ErrRevoked; a token that was already rotated
// wraps ErrRevoked and ErrTokenReuse and revokes the family, so the newest
// token of the family is refused from then on too. Of two concurrent
// rotations of one token exactly one succeeds; the other counts as reuse.
func (r *RefreshTokens) Rotate(ctx context.Context, token string) (subject, newToken string, err error) {
	hash, err := parseRefreshToken(token)
	if err != nil {
		return "", "", err
	}
	rec, err := r.store.Get(ctx, hash)
	if err != nil {
		return "", "", errStore("get", err)
	}
	now := r.now()
	switch {
	case rec.Revoked:
		return "", "", fmt.Errorf("auth: refresh: %w", ErrRevoked)
	case !rec.UsedAt.IsZero():
		return "", "", r.reuse(ctx, rec.FamilyID)
	case !now.Before(rec.ExpiresAt) || !now.Before(rec.FamilyExpiresAt):
		return "", "", fmt.Errorf("auth: refresh: %w", ErrExpired)
	}
	newToken = newRefreshToken()
	next := RefreshRecord{
		Hash:            HashRefreshToken(newToken),
		FamilyID:        rec.FamilyID,
		Subject:         rec.Subject,
		CreatedAt:       now,
		ExpiresAt:       now.Add(r.ttl),
		FamilyExpiresAt: rec.FamilyExpiresAt,
	}
	if next.ExpiresAt.After(rec.FamilyExpiresAt) {
		next.ExpiresAt = rec.FamilyExpiresAt
	}
	if err := r.store.Rotate(ctx, hash, now, next); err != nil {
		if errors.Is(err, ErrConflict) {
			return "", "", r.reuse(ctx, rec.FamilyID)
		}
		return "", "", errStore("rotate", err)
	}
	return rec.Subject, newToken, nil
}

func (r *RefreshTokens) reuse(ctx context.Context, familyID string) error {
	if err := r.store.RevokeFamily(ctx, familyID); err != nil {
		return fmt.Errorf("auth: refresh: %w: %w: revoke family: %w", ErrRevoked, ErrTokenReuse, err)
	}
	return fmt.Errorf("auth: refresh: %w: %w", ErrRevoked, ErrTokenReuse)
}

// Revoke revokes the whole family token belongs to (logout). Revoking an
// already revoked family succeeds; an unknown token is ErrInvalidToken.
func (r *RefreshTokens) Revoke(ctx context.Context, token string) error {
	hash, err := parseRefreshToken(token)
	if err != nil {
		return err
	}
	rec, err := r.store.Get(ctx, hash)
	if err != nil {
		return errStore("get", err)
	}
	if err := r.store.RevokeFamily(ctx, rec.FamilyID); err != nil {
		return fmt.Errorf("auth: refresh: revoke: %w", err)
	}
	return nil
}
