package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth"
)

// FuzzVerifyJWT feeds arbitrary strings to a verifier trusting one key of
// each algorithm: it must never panic, a nil principal always comes with an
// error, and a refused token always wraps one of the sentinels.
func FuzzVerifyJWT(f *testing.F) {
	for _, tc := range jwtCases() {
		f.Add(tc.token(f))
	}
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("..")
	f.Add(strings.Repeat("a.", 5000))
	v := mustVerifier(f, mixedConfig())
	f.Fuzz(func(t *testing.T, token string) {
		p, err := v.Verify(context.Background(), token)
		if err == nil {
			if p == nil || p.Subject == "" || p.TokenID == "" || p.Method != auth.MethodJWT {
				t.Fatalf("accepted with principal %+v", p)
			}
			return
		}
		if p != nil {
			t.Fatalf("principal %+v with error %v", p, err)
		}
		if !errors.Is(err, auth.ErrInvalidToken) && !errors.Is(err, auth.ErrExpired) && !errors.Is(err, auth.ErrRevoked) {
			t.Fatalf("error wraps no sentinel: %v", err)
		}
	})
}

// FuzzCredentialFromRequest feeds arbitrary Authorization and X-API-Key
// values: no panic; a credential comes only with a nil error, holds no
// space, and is a substring of the header it came from.
func FuzzCredentialFromRequest(f *testing.F) {
	seeds := [][2]string{
		{"", ""}, {"Bearer abc", ""}, {"bearer abc", ""}, {"Basic dXNlcjpwYXNz", ""},
		{"Bearer ", ""}, {"Bearer a b", ""}, {"", "rpk_x"}, {"Bearer a", "rpk_x"}, {"", "a b"},
		{"Bearer ab=c", ""}, {"Bearer ==", ""}, {"Bearer  abc", ""}, {"", "clé"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, authz, key string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if authz != "" {
			r.Header["Authorization"] = []string{authz}
		}
		if key != "" {
			r.Header["X-Api-Key"] = []string{key}
		}
		c, err := auth.CredentialFromRequest(r)
		if err != nil {
			if c != (auth.Credential{}) {
				t.Fatalf("credential %+v with error %v", c, err)
			}
			if authz == "" && key == "" && !errors.Is(err, auth.ErrNoCredential) {
				t.Fatalf("no headers: %v", err)
			}
			if (authz != "" || key != "") && !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("present header: %v", err)
			}
			return
		}
		if c.Value == "" || strings.ContainsAny(c.Value, " \t\r\n") || len(c.Value) > auth.MaxCredentialBytes {
			t.Fatalf("credential %q", c.Value)
		}
		switch c.Kind {
		case auth.CredentialBearer:
			if key != "" || !strings.HasSuffix(authz, c.Value) {
				t.Fatalf("bearer %q from %q", c.Value, authz)
			}
		case auth.CredentialAPIKey:
			if authz != "" || key != c.Value {
				t.Fatalf("api key %q from %q", c.Value, key)
			}
		default:
			t.Fatalf("kind %d", c.Kind)
		}
	})
}

// FuzzParseAPIKey: no panic; an accepted key has the exact layout and its
// id is the 16 characters after the prefix.
func FuzzParseAPIKey(f *testing.F) {
	for _, tc := range apiKeyParseCases() {
		f.Add(tc.key)
	}
	f.Fuzz(func(t *testing.T, key string) {
		id, err := auth.ParseAPIKey(key)
		if err != nil {
			if id != "" || !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("id %q err %v", id, err)
			}
			return
		}
		if len(key) != auth.APIKeyLen || !strings.HasPrefix(key, auth.APIKeyPrefix) || id != key[4:20] || key[20] != '_' {
			t.Fatalf("accepted %q with id %q", key, id)
		}
		if strings.ToLower(key) != key {
			t.Fatalf("accepted non-lowercase key %q", key)
		}
	})
}

// FuzzDecodePasswordHash: no panic; a decoded hash re-encodes to exactly
// the input (one canonical form) and has parameters within bounds.
func FuzzDecodePasswordHash(f *testing.F) {
	for _, s := range malformedHashes {
		f.Add(s)
	}
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Fuzz(func(t *testing.T, enc string) {
		p, salt, key, err := auth.DecodePasswordHash(enc)
		if err != nil {
			if !errors.Is(err, auth.ErrMalformedHash) || salt != nil || key != nil {
				t.Fatalf("err %v with salt %v key %v", err, salt, key)
			}
			return
		}
		if got := auth.EncodePasswordHash(p, salt, key); got != enc {
			t.Fatalf("round trip %q -> %q", enc, got)
		}
		if p.Memory > 1<<20 || p.Iterations > 64 || p.Parallelism == 0 || len(salt) < 8 || len(key) < 16 {
			t.Fatalf("out-of-bounds params accepted: %+v", p)
		}
	})
}

// FuzzRefreshRotate: arbitrary refresh tokens never panic and are never
// accepted unless issued.
func FuzzRefreshRotate(f *testing.F) {
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.sig")
	r, _ := newRefresh(f, &fakeClock{now: t0}, auth.RefreshOptions{})
	f.Fuzz(func(t *testing.T, tok string) {
		sub, nt, err := r.Rotate(context.Background(), tok)
		if err == nil || sub != "" || nt != "" || !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("Rotate(%q) = %q %q %v", tok, sub, nt, err)
		}
	})
}

// FuzzCheckPasswordPolicy: no panic, and the verdict agrees with the rune
// count.
func FuzzCheckPasswordPolicy(f *testing.F) {
	f.Add(strings.Repeat("a", 11), "a@b.c")
	f.Add(strings.Repeat("é", 12), "a@b.c")
	f.Add("Alice@Example.com", "alice@example.com")
	f.Add("\xff\xfe", "")
	f.Fuzz(func(t *testing.T, pw, email string) {
		err := auth.CheckPasswordPolicy(pw, email)
		n := len([]rune(pw))
		if err == nil && (n < auth.MinPasswordRunes || n > auth.MaxPasswordRunes || strings.EqualFold(strings.TrimSpace(pw), strings.TrimSpace(email)) && strings.TrimSpace(email) != "") {
			t.Fatalf("accepted %q (%d runes) for %q", pw, n, email)
		}
	})
}

// FuzzParseAuthorization: no panic; an accepted value yields a bearer
// credential that is a suffix of the input and has b64token syntax.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer abc", "Bearer", "Bearer ", "Basic x", "Bearer a b", "Bearer ab==", "Bearer =", "BeArEr  x.y.z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		c, err := auth.ParseAuthorization(v)
		if err != nil {
			if c != (auth.Credential{}) || !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("credential %+v err %v", c, err)
			}
			return
		}
		if c.Kind != auth.CredentialBearer || c.Value == "" || !strings.HasSuffix(v, c.Value) ||
			!strings.EqualFold(v[:7], "bearer ") || strings.ContainsAny(c.Value, " \t\r\n,;\"") {
			t.Fatalf("ParseAuthorization(%q) = %+v", v, c)
		}
	})
}
