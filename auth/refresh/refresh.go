package refresh

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-go/rampart/auth"
)

// Defaults of Options.
const (
	// DefaultTTL is how long one refresh token stays usable.
	DefaultTTL = 14 * 24 * time.Hour
	// DefaultFamilyLifetime is how long a chain of rotated refresh
	// tokens may last before the user must log in again.
	DefaultFamilyLifetime = 90 * 24 * time.Hour
)

// Errors of the Store contract and of rotation. Test for them with
// errors.Is; a missing record is auth.ErrNotFound.
var (
	// ErrConflict is returned by Store.Rotate when the token was already
	// used or revoked, so the compare-and-set lost (and by Store.Create
	// when the hash is taken).
	ErrConflict = errors.New("auth: token already used")
	// ErrReuse means a refresh token that had already been rotated was
	// presented again; its whole family has been revoked. It is always
	// wrapped together with auth.ErrRevoked.
	ErrReuse = errors.New("auth: refresh token reuse detected")
)

// refreshTokenBytes is the entropy of a refresh token: 256 bits.
const refreshTokenBytes = 32

// refreshTokenLen is the length of its unpadded base64url form.
var refreshTokenLen = base64.RawURLEncoding.EncodedLen(refreshTokenBytes)

// Record is what a Store keeps for one refresh token. The token itself is
// never stored, only its SHA-256 hash.
type Record struct {
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

// Store persists refresh-token records. Implementations must be safe
// for concurrent use, and Rotate must be atomic with respect to itself and
// to RevokeFamily (a transaction or a compare-and-set), so that two
// concurrent rotations of one token cannot both succeed.
type Store interface {
	// Create stores a new record.
	Create(ctx context.Context, rec Record) error
	// Get returns the record with the given hash, or an error wrapping
	// auth.ErrNotFound.
	Get(ctx context.Context, hash string) (Record, error)
	// Rotate marks the record oldHash as used at usedAt and stores next, in
	// one atomic step, only if oldHash exists, is unused and is not
	// revoked; otherwise it changes nothing and returns an error wrapping
	// ErrConflict (or auth.ErrNotFound).
	Rotate(ctx context.Context, oldHash string, usedAt time.Time, next Record) error
	// RevokeFamily marks every record of the family as revoked.
	RevokeFamily(ctx context.Context, familyID string) error
}

// Options configures Tokens. The zero value is the default.
type Options struct {
	// TTL is how long each refresh token stays usable. Zero means
	// DefaultTTL (14 days).
	TTL time.Duration
	// FamilyLifetime bounds a whole chain of rotations from one login. Zero
	// means DefaultFamilyLifetime (90 days). It must be at least TTL.
	FamilyLifetime time.Duration
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// Tokens issues opaque refresh tokens (256 random bits, base64url),
// rotates them on every use and detects reuse: presenting a token that was
// already rotated revokes its whole family, so a thief and the victim both
// lose it (OAuth 2.0 Security BCP, RFC 9700 §4.14.2). It is safe for
// concurrent use.
type Tokens struct {
	store          Store
	ttl, familyTTL time.Duration
	now            func() time.Time
}

// NewTokens returns a manager over store.
func NewTokens(store Store, opts Options) (*Tokens, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: refresh: nil Store", auth.ErrConfig)
	}
	r := &Tokens{store: store, ttl: opts.TTL, familyTTL: opts.FamilyLifetime, now: opts.Now}
	if r.ttl == 0 {
		r.ttl = DefaultTTL
	}
	if r.familyTTL == 0 {
		r.familyTTL = max(DefaultFamilyLifetime, r.ttl)
	}
	if r.ttl < 0 || r.familyTTL < r.ttl {
		return nil, fmt.Errorf("%w: refresh: TTL %v and FamilyLifetime %v (want 0 < TTL <= FamilyLifetime)", auth.ErrConfig, r.ttl, r.familyTTL)
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r, nil
}

// HashToken returns the store key of a refresh token: the lowercase
// hex SHA-256 of the token string.
func HashToken(token string) string {
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
		return "", fmt.Errorf("auth: refresh: %w: wrong length", auth.ErrInvalidToken)
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(token); err != nil {
		return "", fmt.Errorf("auth: refresh: %w: not base64url", auth.ErrInvalidToken)
	}
	return HashToken(token), nil
}

func errStore(op string, err error) error {
	if errors.Is(err, auth.ErrNotFound) {
		return fmt.Errorf("auth: refresh: %w: unknown token", auth.ErrInvalidToken)
	}
	return fmt.Errorf("auth: refresh: %s: %w: %w: %w", op, auth.ErrInvalidToken, auth.ErrUnavailable, err)
}

// Issue starts a new family for subject (at login) and returns its first
// refresh token. Show the token to the client once; only its hash is kept.
func (r *Tokens) Issue(ctx context.Context, subject string) (string, error) {
	if subject == "" {
		return "", errors.New("auth: refresh: cannot issue a token without a subject")
	}
	now := r.now()
	token := newRefreshToken()
	rec := Record{
		Hash:            HashToken(token),
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
// subject it belongs to. Errors wrap auth.ErrInvalidToken (malformed or
// unknown), auth.ErrExpired, or auth.ErrRevoked; a token that was already
// rotated wraps auth.ErrRevoked and ErrReuse and revokes the family, so the
// newest token of the family is refused from then on too. Of two concurrent
// rotations of one token exactly one succeeds; the other counts as reuse.
func (r *Tokens) Rotate(ctx context.Context, token string) (subject, newToken string, err error) {
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
		return "", "", fmt.Errorf("auth: refresh: %w", auth.ErrRevoked)
	case !rec.UsedAt.IsZero():
		return "", "", r.reuse(ctx, rec.FamilyID)
	case !now.Before(rec.ExpiresAt) || !now.Before(rec.FamilyExpiresAt):
		return "", "", fmt.Errorf("auth: refresh: %w", auth.ErrExpired)
	}
	newToken = newRefreshToken()
	next := Record{
		Hash:            HashToken(newToken),
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

func (r *Tokens) reuse(ctx context.Context, familyID string) error {
	if err := r.store.RevokeFamily(ctx, familyID); err != nil {
		return fmt.Errorf("auth: refresh: %w: %w: revoke family: %w", auth.ErrRevoked, ErrReuse, err)
	}
	return fmt.Errorf("auth: refresh: %w: %w", auth.ErrRevoked, ErrReuse)
}

// Revoke revokes the whole family token belongs to (logout). Revoking an
// already revoked family succeeds; an unknown token is auth.ErrInvalidToken.
func (r *Tokens) Revoke(ctx context.Context, token string) error {
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
