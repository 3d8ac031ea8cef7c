package auth

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
)

// APIKeyPrefix starts every API key, so that leaked keys are recognisable
// by secret scanners and in logs.
const APIKeyPrefix = "rpk_"

// API key layout: APIKeyPrefix, 16 lowercase hex characters of key ID
// (64 bits, not secret), "_", 52 lowercase base32 characters of secret
// (256 bits).
const (
	apiKeyIDBytes     = 8
	apiKeySecretBytes = 32
	apiKeyIDLen       = 2 * apiKeyIDBytes
	apiKeySecretLen   = (apiKeySecretBytes*8 + 4) / 5 // 52
	// APIKeyLen is the exact length of an API key.
	APIKeyLen = len(APIKeyPrefix) + apiKeyIDLen + 1 + apiKeySecretLen
)

var apiKeyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// APIKeyRecord is what an APIKeyStore keeps for one key. The key itself is
// never stored, only its SHA-256 hash.
type APIKeyRecord struct {
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

// NewAPIKey creates a key for tmpl's Subject, Roles, Scopes, CreatedAt and
// ExpiresAt. It returns the key, to show to its owner exactly once, and the
// record to store (tmpl with ID and Hash filled in).
func NewAPIKey(tmpl APIKeyRecord) (key string, rec APIKeyRecord) {
	var id [apiKeyIDBytes]byte
	var secret [apiKeySecretBytes]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails
	_, _ = rand.Read(secret[:])
	rec = tmpl
	rec.ID = hex.EncodeToString(id[:])
	key = APIKeyPrefix + rec.ID + "_" + apiKeyEncoding.EncodeToString(secret[:])
	rec.Hash = HashAPIKey(key)
	rec.Roles = slices.Clone(tmpl.Roles)
	rec.Scopes = slices.Clone(tmpl.Scopes)
	return key, rec
}

// HashAPIKey returns the stored form of key: its lowercase hex SHA-256. A
// fast hash is right here because keys carry 256 random bits.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// ErrMalformedAPIKey means a presented string does not have the API key
// layout. It is always wrapped together with ErrInvalidToken.
var ErrMalformedAPIKey = errors.New("auth: malformed API key")

// ParseAPIKey checks that key has the exact layout NewAPIKey produces and
// returns its key ID. It looks at nothing but the string, so it is cheap
// enough to run before any store lookup.
func ParseAPIKey(key string) (id string, err error) {
	fail := func(why string) (string, error) {
		return "", fmt.Errorf("auth: apikey: %w: %w: %s", ErrInvalidToken, ErrMalformedAPIKey, why)
	}
	if len(key) != APIKeyLen {
		return fail("wrong length")
	}
	if key[:len(APIKeyPrefix)] != APIKeyPrefix {
		return fail("wrong prefix")
	}
	rest := key[len(APIKeyPrefix):]
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

// APIKeyStore finds API key records by key ID. Implementations must be safe
// for concurrent use.
type APIKeyStore interface {
	// LookupAPIKey returns the record with the given ID, or an error
	// wrapping ErrNotFound.
	LookupAPIKey(ctx context.Context, id string) (APIKeyRecord, error)
}

// APIKeyOptions configures an APIKeyAuthenticator.
type APIKeyOptions struct {
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// APIKeyAuthenticator verifies CredentialAPIKey credentials against an
// APIKeyStore. It is safe for concurrent use.
type APIKeyAuthenticator struct {
	store APIKeyStore
	now   func() time.Time
}

var _ Authenticator = (*APIKeyAuthenticator)(nil)

// NewAPIKeyAuthenticator returns an authenticator over store.
func NewAPIKeyAuthenticator(store APIKeyStore, opts APIKeyOptions) (*APIKeyAuthenticator, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: apikey: nil APIKeyStore", ErrConfig)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &APIKeyAuthenticator{store: store, now: now}, nil
}

// Authenticate checks the key's layout, looks its ID up, compares hashes in
// constant time, then checks revocation and expiry. The Principal has
// Method MethodAPIKey, TokenID the key ID, and the record's subject (or the
// key ID when it has none), roles and scopes.
func (a *APIKeyAuthenticator) Authenticate(ctx context.Context, cred Credential) (*Principal, error) {
	if cred.Kind != CredentialAPIKey {
		return nil, fmt.Errorf("auth: apikey: %w: credential is not an API key", ErrInvalidToken)
	}
	id, err := ParseAPIKey(cred.Value)
	if err != nil {
		return nil, err
	}
	rec, err := a.store.LookupAPIKey(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("auth: apikey: %w: unknown key id", ErrInvalidToken)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: apikey: lookup: %w: %w: %w", ErrInvalidToken, ErrUnavailable, err)
	}
	presented := HashAPIKey(cred.Value)
	if rec.ID != id || subtle.ConstantTimeCompare([]byte(presented), []byte(rec.Hash)) != 1 {
		return nil, fmt.Errorf("auth: apikey: %w: secret does not match", ErrInvalidToken)
	}
	if rec.Revoked {
		return nil, fmt.Errorf("auth: apikey: %w", ErrRevoked)
	}
	if !rec.ExpiresAt.IsZero() && !a.now().Before(rec.ExpiresAt) {
		return nil, fmt.Errorf("auth: apikey: %w", ErrExpired)
	}
	subject := rec.Subject
	if subject == "" {
		subject = rec.ID
	}
	return &Principal{
		Subject:   subject,
		Roles:     slices.Clone(rec.Roles),
		Scopes:    slices.Clone(rec.Scopes),
		TokenID:   rec.ID,
		Method:    MethodAPIKey,
		ExpiresAt: rec.ExpiresAt,
	}, nil
}

// MemoryAPIKeyStore is an in-process APIKeyStore for tests and
// single-process deployments. The zero value is ready to use.
type MemoryAPIKeyStore struct {
	mu   sync.Mutex
	keys map[string]APIKeyRecord
}

var _ APIKeyStore = (*MemoryAPIKeyStore)(nil)

// Put stores rec under rec.ID, replacing any earlier record.
func (m *MemoryAPIKeyStore) Put(rec APIKeyRecord) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = map[string]APIKeyRecord{}
	}
	m.keys[rec.ID] = rec
}

// Revoke marks the key with the given ID revoked; an unknown ID is
// ErrNotFound.
func (m *MemoryAPIKeyStore) Revoke(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.keys[id]
	if !ok {
		return fmt.Errorf("auth: apikey: %w", ErrNotFound)
	}
	rec.Revoked = true
	m.keys[id] = rec
	return nil
}

// LookupAPIKey returns the record with the given ID.
func (m *MemoryAPIKeyStore) LookupAPIKey(_ context.Context, id string) (APIKeyRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.keys[id]
	if !ok {
		return APIKeyRecord{}, fmt.Errorf("auth: apikey: %w", ErrNotFound)
	}
	return rec, nil
}
