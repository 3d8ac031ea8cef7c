package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rampart-go/rampart/auth"
)

// Prefix starts every API key, so that leaked keys are recognisable
// by secret scanners and in logs.
const Prefix = "rpk_"

// API key layout: Prefix, 16 lowercase hex characters of key ID
// (64 bits, not secret), "_", 52 lowercase base32 characters of secret
// (256 bits).
const (
	apiKeyIDBytes     = 8
	apiKeySecretBytes = 32
	apiKeyIDLen       = 2 * apiKeyIDBytes
	apiKeySecretLen   = (apiKeySecretBytes*8 + 4) / 5 // 52
	// Len is the exact length of an API key.
	Len = len(Prefix) + apiKeyIDLen + 1 + apiKeySecretLen
)

var apiKeyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Record is what a Store keeps for one key. The key itself is never
// stored, only its SHA-256 hash.
type Record struct {
	// ID is the key's public identifier, the part between the prefix and
	// the secret; the store's lookup key.
	ID string
	// Hash is the lowercase hex SHA-256 of the whole key string.
	Hash string
	// Subject is the user or service the key acts for. Empty means the key
	// stands for itself and the Principal's Subject is the key ID.
	Subject string
	// Roles and Scopes are copied to the Principal.
	Roles  []string
	Scopes []string
	// CreatedAt is informational.
	CreatedAt time.Time
	// ExpiresAt is when the key stops working; zero means never.
	ExpiresAt time.Time
	// Revoked refuses the key.
	Revoked bool
}

// New creates a key for tmpl's Subject, Roles, Scopes, CreatedAt and
// ExpiresAt. It returns the key, to show to its owner exactly once, and the
// record to store (tmpl with ID and Hash filled in).
func New(tmpl Record) (key string, rec Record) {
	var id [apiKeyIDBytes]byte
	var secret [apiKeySecretBytes]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails
	_, _ = rand.Read(secret[:])
	rec = tmpl
	rec.ID = hex.EncodeToString(id[:])
	key = Prefix + rec.ID + "_" + apiKeyEncoding.EncodeToString(secret[:])
	rec.Hash = Hash(key)
	rec.Roles = slices.Clone(tmpl.Roles)
	rec.Scopes = slices.Clone(tmpl.Scopes)
	return key, rec
}

// Hash returns the stored form of key: its lowercase hex SHA-256. A
// fast hash is right here because keys carry 256 random bits.
func Hash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// ErrMalformed means a presented string does not have the API key
// layout. It is always wrapped together with auth.ErrInvalidToken.
var ErrMalformed = errors.New("auth: malformed API key")

// Parse checks that key has the exact layout New produces and
// returns its key ID. It looks at nothing but the string, so it is cheap
// enough to run before any store lookup.
func Parse(key string) (id string, err error) {
	fail := func(why string) (string, error) {
		return "", fmt.Errorf("auth: apikey: %w: %w: %s", auth.ErrInvalidToken, ErrMalformed, why)
	}
	if len(key) != Len {
		return fail("wrong length")
	}
	if key[:len(Prefix)] != Prefix {
		return fail("wrong prefix")
	}
	rest := key[len(Prefix):]
	id, sep, secret := rest[:apiKeyIDLen], rest[apiKeyIDLen], rest[apiKeyIDLen+1:]
	if sep != '_' {
		return fail("missing separator")
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return fail("key id is not lowercase hex")
		}
	}
	// base32 has no strict mode: it skips newlines and ignores trailing
	// bits, so only a canonical re-encoding counts.
	b, err := apiKeyEncoding.DecodeString(secret)
	if err != nil || len(b) != apiKeySecretBytes || apiKeyEncoding.EncodeToString(b) != secret {
		return fail("secret is not canonical lowercase base32")
	}
	return id, nil
}

// Store finds API key records by key ID. Implementations must be safe
// for concurrent use.
type Store interface {
	// Lookup returns the record with the given ID, or an error
	// wrapping auth.ErrNotFound.
	Lookup(ctx context.Context, id string) (Record, error)
}

// Options configures an Authenticator.
type Options struct {
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// Authenticator verifies auth.CredentialAPIKey credentials against a
// Store. It is safe for concurrent use.
type Authenticator struct {
	store Store
	now   func() time.Time
}

var _ auth.Authenticator = (*Authenticator)(nil)

// NewAuthenticator returns an authenticator over store.
func NewAuthenticator(store Store, opts Options) (*Authenticator, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: apikey: nil Store", auth.ErrConfig)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Authenticator{store: store, now: now}, nil
}

// Authenticate checks the key's layout, looks its ID up, compares hashes in
// constant time, then checks revocation and expiry. The Principal has
// Method auth.MethodAPIKey, TokenID the key ID, and the record's subject
// (or the key ID when it has none), roles and scopes.
func (a *Authenticator) Authenticate(ctx context.Context, cred auth.Credential) (*auth.Principal, error) {
	if cred.Kind != auth.CredentialAPIKey {
		return nil, fmt.Errorf("auth: apikey: %w: credential is not an API key", auth.ErrInvalidToken)
	}
	id, err := Parse(cred.Value)
	if err != nil {
		return nil, err
	}
	rec, err := a.store.Lookup(ctx, id)
	if errors.Is(err, auth.ErrNotFound) {
		return nil, fmt.Errorf("auth: apikey: %w: unknown key id", auth.ErrInvalidToken)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: apikey: lookup: %w: %w: %w", auth.ErrInvalidToken, auth.ErrUnavailable, err)
	}
	presented := Hash(cred.Value)
	if rec.ID != id || subtle.ConstantTimeCompare([]byte(presented), []byte(rec.Hash)) != 1 {
		return nil, fmt.Errorf("auth: apikey: %w: secret does not match", auth.ErrInvalidToken)
	}
	if rec.Revoked {
		return nil, fmt.Errorf("auth: apikey: %w", auth.ErrRevoked)
	}
	if !rec.ExpiresAt.IsZero() && !a.now().Before(rec.ExpiresAt) {
		return nil, fmt.Errorf("auth: apikey: %w", auth.ErrExpired)
	}
	subject := rec.Subject
	if subject == "" {
		subject = rec.ID
	}
	return &auth.Principal{
		Subject:   subject,
		Roles:     slices.Clone(rec.Roles),
		Scopes:    slices.Clone(rec.Scopes),
		TokenID:   rec.ID,
		Method:    auth.MethodAPIKey,
		ExpiresAt: rec.ExpiresAt,
	}, nil
}

// MemoryStore is an in-process Store for tests and single-process
// deployments. The zero value is ready to use.
type MemoryStore struct {
	mu   sync.Mutex
	keys map[string]Record
}

var _ Store = (*MemoryStore)(nil)

// Put stores rec under rec.ID, replacing any earlier record.
func (m *MemoryStore) Put(rec Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = map[string]Record{}
	}
	m.keys[rec.ID] = rec
}

// Revoke marks the key with the given ID revoked; an unknown ID is
// auth.ErrNotFound.
func (m *MemoryStore) Revoke(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.keys[id]
	if !ok {
		return fmt.Errorf("auth: apikey: %w", auth.ErrNotFound)
	}
	rec.Revoked = true
	m.keys[id] = rec
	return nil
}

// Lookup returns the record with the given ID.
func (m *MemoryStore) Lookup(_ context.Context, id string) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.keys[id]
	if !ok {
		return Record{}, fmt.Errorf("auth: apikey: %w", auth.ErrNotFound)
	}
	return rec, nil
}
