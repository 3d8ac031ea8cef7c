package apikey_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/apikey"
)

func TestAuthenticator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := &apikey.MemoryStore{}
	key, rec := apikey.New(apikey.Record{Subject: "user-7", Roles: []string{"USER"}, Scopes: []string{"posts:read"}, ExpiresAt: t0.Add(time.Hour)})
	store.Put(rec)
	if strings.Contains(rec.Hash, key) || rec.Hash == key || len(key) != apikey.Len || !strings.HasPrefix(key, "rpk_"+rec.ID+"_") {
		t.Fatalf("key %q record %+v", key, rec)
	}
	forever, frec := apikey.New(apikey.Record{}) // no subject, no expiry
	store.Put(frec)
	expired, erec := apikey.New(apikey.Record{ExpiresAt: t0})
	store.Put(erec)
	almost, arec := apikey.New(apikey.Record{ExpiresAt: t0.Add(time.Nanosecond)})
	store.Put(arec)
	revoked, rrec := apikey.New(apikey.Record{})
	store.Put(rrec)
	if err := store.Revoke(rrec.ID); err != nil {
		t.Fatal(err)
	}
	unknown, _ := apikey.New(apikey.Record{})
	// Right id, wrong secret: the attacker knows a key id (it is not secret).
	forged := key[:len(key)-4] + "aaaa"
	if forged == key {
		forged = key[:len(key)-4] + "bbbb"
	}

	a, err := apikey.NewAuthenticator(store, apikey.Options{Now: fixedClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		cred    auth.Credential
		wantErr error
	}{
		{"valid_key", auth.Credential{Kind: auth.CredentialAPIKey, Value: key}, nil},
		{"valid_key_without_expiry", auth.Credential{Kind: auth.CredentialAPIKey, Value: forever}, nil},
		{"one_ns_before_expiry_passes", auth.Credential{Kind: auth.CredentialAPIKey, Value: almost}, nil},
		{"expired_at_boundary", auth.Credential{Kind: auth.CredentialAPIKey, Value: expired}, auth.ErrExpired},
		{"revoked", auth.Credential{Kind: auth.CredentialAPIKey, Value: revoked}, auth.ErrRevoked},
		{"unknown_id", auth.Credential{Kind: auth.CredentialAPIKey, Value: unknown}, auth.ErrInvalidToken},
		{"right_id_wrong_secret", auth.Credential{Kind: auth.CredentialAPIKey, Value: forged}, auth.ErrInvalidToken},
		{"malformed", auth.Credential{Kind: auth.CredentialAPIKey, Value: "rpk_nope"}, auth.ErrInvalidToken},
		{"key_as_bearer", auth.Credential{Kind: auth.CredentialBearer, Value: key}, auth.ErrInvalidToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := a.Authenticate(ctx, tc.cred)
			if tc.wantErr != nil {
				if p != nil || !errors.Is(err, tc.wantErr) {
					t.Fatalf("p=%v err=%v, want %v", p, err, tc.wantErr)
				}
				if strings.Contains(err.Error(), tc.cred.Value) {
					t.Fatalf("error leaks the key: %v", err)
				}
				return
			}
			if err != nil || p == nil || p.Method != auth.MethodAPIKey || p.TokenID == "" {
				t.Fatalf("p=%+v err=%v", p, err)
			}
		})
	}
	p, _ := a.Authenticate(ctx, auth.Credential{Kind: auth.CredentialAPIKey, Value: key})
	if p.Subject != "user-7" || p.TokenID != rec.ID || !p.HasScope("posts:read") || !p.HasRole("USER") || !p.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("principal = %+v", p)
	}
	p, _ = a.Authenticate(ctx, auth.Credential{Kind: auth.CredentialAPIKey, Value: forever})
	if p.Subject != frec.ID {
		t.Fatalf("subjectless key: subject %q, want key id %q", p.Subject, frec.ID)
	}
	if _, err := apikey.NewAuthenticator(nil, apikey.Options{}); !errors.Is(err, auth.ErrConfig) {
		t.Fatalf("nil store: %v", err)
	}
}

type failingKeyStore struct{}

func (failingKeyStore) Lookup(context.Context, string) (apikey.Record, error) {
	return apikey.Record{}, errors.New("db: locked")
}

func TestStoreFailureFailsClosed(t *testing.T) {
	t.Parallel()
	a, _ := apikey.NewAuthenticator(failingKeyStore{}, apikey.Options{})
	key, _ := apikey.New(apikey.Record{})
	p, err := a.Authenticate(context.Background(), auth.Credential{Kind: auth.CredentialAPIKey, Value: key})
	if p != nil || !errors.Is(err, auth.ErrInvalidToken) || !errors.Is(err, auth.ErrUnavailable) {
		t.Fatalf("p=%v err=%v", p, err)
	}
}

type parseCase struct {
	name string
	key  string
	ok   bool
}

// parseCases are the table rows, reused as fuzz seeds.
func parseCases() []parseCase {
	good := "rpk_0123456789abcdef_" + strings.Repeat("a", 51) + "q"
	return []parseCase{
		{"fixed_valid", good, true},
		{"one_char_short", good[:len(good)-1], false},
		{"one_char_long", good + "a", false},
		{"wrong_prefix", "rpx_" + good[4:], false},
		{"uppercase_id", "rpk_0123456789ABCDEF_" + good[21:], false},
		{"non_hex_id", "rpk_0123456789abcdeg_" + good[21:], false},
		{"dash_separator", good[:20] + "-" + good[21:], false},
		{"uppercase_secret", good[:21] + strings.ToUpper(good[21:]), false},
		{"secret_with_1", good[:len(good)-1] + "1", false},
		{"non_canonical_trailing_bits", "rpk_0123456789abcdef_" + strings.Repeat("a", 51) + "b", false},
		{"newline_in_secret", good[:30] + "\n" + good[31:], false},
		{"empty", "", false},
		{"jwt", "eyJhbGciOiJIUzI1NiJ9.e30.sig", false},
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	generated, rec := apikey.New(apikey.Record{})
	cases := append(parseCases(), parseCase{"generated", generated, true})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id, err := apikey.Parse(tc.key)
			if tc.ok {
				if err != nil || id != tc.key[4:20] {
					t.Fatalf("id=%q err=%v", id, err)
				}
				return
			}
			if id != "" || !errors.Is(err, auth.ErrInvalidToken) || !errors.Is(err, apikey.ErrMalformed) {
				t.Fatalf("id=%q err=%v", id, err)
			}
		})
	}
	if id, _ := apikey.Parse(generated); id != rec.ID {
		t.Fatalf("generated key id %q, record id %q", id, rec.ID)
	}
}
