package jwt_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/internal/golden"
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

func baseConfig(keys ...jwt.Key) jwt.Config {
	return jwt.Config{
		Issuer:   "https://issuer.example",
		Audience: "rampart-api",
		Keys:     keys,
		Now:      fixedClock(t0),
	}
}

func hsConfig() jwt.Config { return baseConfig(jwt.Key{ID: "hs1", Secret: hmacSecret}) }

// goodClaims are the claims of a valid access token at t0.
func goodClaims() gojwt.MapClaims {
	return gojwt.MapClaims{
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
func signToken(t testing.TB, method gojwt.SigningMethod, key any, header map[string]any, claims gojwt.MapClaims) string {
	t.Helper()
	tok := gojwt.NewWithClaims(method, claims)
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

func with(c gojwt.MapClaims, k string, v any) gojwt.MapClaims {
	out := gojwt.MapClaims{}
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

// render is what a client sees of a response, in the format of auth's
// golden files.
func render(rec *httptest.ResponseRecorder) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status: %d\n", rec.Code)
	for _, h := range []string{"Cache-Control", "Content-Type", "Retry-After", "Www-Authenticate"} {
		if v := rec.Header().Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	b.WriteString("\n")
	b.WriteString(rec.Body.String())
	b.WriteString("\n")
	return b.String()
}

// checkGolden compares a response with auth's golden file of that name
// (auth/testdata): a token refused by the Verifier must get exactly the
// response auth.Middleware gives any other refused credential.
func checkGolden(t testing.TB, name string, rec *httptest.ResponseRecorder) {
	t.Helper()
	golden.File(t, filepath.Join("..", "testdata", name), []byte(render(rec)))
}

func checkUnauthorized(t testing.TB, rec *httptest.ResponseRecorder) {
	t.Helper()
	checkGolden(t, "unauthorized.golden", rec)
}
