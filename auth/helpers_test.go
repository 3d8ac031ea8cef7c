package auth_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rampart-go/rampart/auth"
)

// t0 is the fixed "now" of every test clock.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var hmacSecret = []byte("0123456789abcdef0123456789abcdef") // 32 bytes

type keyMaterial struct {
	rsa     *rsa.PrivateKey
	rsaPEM  []byte
	ec      *ecdsa.PrivateKey
	ed      ed25519.PrivateKey
	otherEd ed25519.PrivateKey
}

// testKeys generates asymmetric keys once per test binary (RSA generation
// is slow); the value is never modified after creation.
var testKeys = sync.OnceValue(func() keyMaterial {
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&r.PublicKey)
	if err != nil {
		panic(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	_, ed2, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return keyMaterial{
		rsa:     r,
		rsaPEM:  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		ec:      ec,
		ed:      ed,
		otherEd: ed2,
	}
})

func baseConfig(keys ...auth.JWTKey) auth.JWTConfig {
	return auth.JWTConfig{
		Issuer:   "https://issuer.example",
		Audience: "rampart-api",
		Keys:     keys,
		Now:      fixedClock(t0),
	}
}

func hsConfig() auth.JWTConfig { return baseConfig(auth.JWTKey{ID: "hs1", Secret: hmacSecret}) }

// goodClaims are the claims of a valid access token at t0.
func goodClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":   "https://issuer.example",
		"aud":   "rampart-api",
		"sub":   "user-1",
		"jti":   "tok-1",
		"iat":   t0.Add(-time.Minute).Unix(),
		"nbf":   t0.Add(-time.Minute).Unix(),
		"exp":   t0.Add(10 * time.Minute).Unix(),
		"roles": []string{"USER"},
		"scope": "posts:read posts:write",
		"amr":   []string{"pwd"},
	}
}

// signToken signs claims with method and key, setting typ at+jwt and kid
// unless header overrides them (a nil header value deletes the entry).
func signToken(t testing.TB, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["typ"] = "at+jwt"
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
			continue
		}
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

func with(c jwt.MapClaims, k string, v any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for kk, vv := range c {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func weakRSA(t testing.TB) *rsa.PublicKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatalf("rsa.GenerateKey(1024): %v", err)
	}
	return &k.PublicKey
}
