package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/rampart-go/rampart/auth"
)

// Issue an access token at login and verify it on later requests. Issuer and
// verifier share one configuration; a verifier of asymmetric tokens needs
// only the public keys.
func ExampleJWTIssuer() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cfg := auth.JWTConfig{
		Issuer:   "https://api.example.com",
		Audience: "example-api",
		Keys:     []auth.JWTKey{{ID: "2026-03", Secret: []byte("a-32-byte-secret-from-your-vault")}},
		Now:      func() time.Time { return now },
	}
	issuer, err := auth.NewJWTIssuer(cfg)
	if err != nil {
		panic(err)
	}
	verifier, err := auth.NewJWTVerifier(cfg)
	if err != nil {
		panic(err)
	}

	at, err := issuer.Issue(auth.Principal{Subject: "user-42", Roles: []string{"USER"}, Scopes: []string{"posts:write"}, AMR: []string{"pwd"}})
	if err != nil {
		panic(err)
	}
	p, err := verifier.Verify(context.Background(), at.Token)
	fmt.Println(p.Subject, p.Roles, p.Scopes, p.Method, p.ExpiresAt.Sub(now), err)

	// A token from another issuer's configuration is refused.
	cfg.Issuer = "https://evil.example"
	evil, _ := auth.NewJWTIssuer(cfg)
	forged, _ := evil.Issue(auth.Principal{Subject: "admin"})
	_, err = verifier.Verify(context.Background(), forged.Token)
	fmt.Println(errors.Is(err, auth.ErrInvalidToken))
	// Output:
	// user-42 [USER] [posts:write] jwt 15m0s <nil>
	// true
}

// Middleware puts the caller in the request context: a valid token yields a
// Principal, no credential yields an anonymous request, and a bad one a
// generic 401.
func ExampleMiddleware() {
	cfg := auth.JWTConfig{
		Issuer:   "https://api.example.com",
		Audience: "example-api",
		Keys:     []auth.JWTKey{{Secret: []byte("a-32-byte-secret-from-your-vault")}},
	}
	verifier, err := auth.NewJWTVerifier(cfg)
	if err != nil {
		panic(err)
	}
	issuer, _ := auth.NewJWTIssuer(cfg)
	apiKeys, _ := auth.NewAPIKeyAuthenticator(&auth.MemoryAPIKeyStore{}, auth.APIKeyOptions{})

	mw := auth.Middleware(auth.MultiAuthenticator{Bearer: verifier, APIKey: apiKeys}, auth.MiddlewareOptions{})
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := auth.PrincipalFrom(r.Context()); ok {
			fmt.Fprintf(w, "hello %s", p.Subject)
			return
		}
		fmt.Fprint(w, "hello anonymous")
	}))

	at, _ := issuer.Issue(auth.Principal{Subject: "user-42"})
	for _, authz := range []string{"Bearer " + at.Token, "", "Bearer not-a-jwt"} {
		r := httptest.NewRequest(http.MethodPost, "/query", nil)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 200 hello user-42
	// 200 hello anonymous
	// 401 {"errors":[{"message":"invalid or expired credential","extensions":{"code":"UNAUTHENTICATED"}}]}
}

// Register and log in with argon2id password hashes. VerifyDummy makes an
// unknown e-mail address cost as much as a wrong password.
func ExamplePasswordHasher() {
	// Tests use light parameters; production uses the zero value (OWASP:
	// 19 MiB, 2 iterations, 1 lane).
	h, err := auth.NewPasswordHasher(auth.Argon2Params{Memory: 64, Iterations: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(auth.CheckPasswordPolicy("too short", "ann@example.com"))
	fmt.Println(auth.CheckPasswordPolicy("ann@example.com", "Ann@Example.com"))

	stored, _ := h.Hash("correct horse battery staple")
	users := map[string]string{"ann@example.com": stored}

	login := func(email, password string) bool {
		enc, ok := users[email]
		if !ok {
			h.VerifyDummy(password) // same cost as a real check
			return false
		}
		match, err := h.Verify(password, enc)
		return err == nil && match
	}
	fmt.Println(login("ann@example.com", "correct horse battery staple"))
	fmt.Println(login("ann@example.com", "wrong password!"))
	fmt.Println(login("bob@example.com", "correct horse battery staple"))
	// Output:
	// password must be at least 12 characters
	// password must not be the same as the e-mail address
	// true
	// false
	// false
}

// Refresh tokens rotate on every use; presenting an old one again revokes
// the whole family.
func ExampleRefreshTokens() {
	ctx := context.Background()
	rt, err := auth.NewRefreshTokens(auth.NewMemoryRefreshStore(nil), auth.RefreshOptions{})
	if err != nil {
		panic(err)
	}
	first, _ := rt.Issue(ctx, "user-42")
	subject, second, err := rt.Rotate(ctx, first)
	fmt.Println(subject, err)

	_, _, err = rt.Rotate(ctx, first) // stolen copy replayed
	fmt.Println(errors.Is(err, auth.ErrTokenReuse))
	_, _, err = rt.Rotate(ctx, second) // the whole family is gone
	fmt.Println(errors.Is(err, auth.ErrRevoked))
	// Output:
	// user-42 <nil>
	// true
	// true
}

// Create an API key: show the key once, store only the record.
func ExampleNewAPIKey() {
	store := &auth.MemoryAPIKeyStore{}
	key, rec := auth.NewAPIKey(auth.APIKeyRecord{Subject: "user-42", Scopes: []string{"posts:read"}})
	store.Put(rec)

	a, _ := auth.NewAPIKeyAuthenticator(store, auth.APIKeyOptions{})
	p, err := a.Authenticate(context.Background(), auth.Credential{Kind: auth.CredentialAPIKey, Value: key})
	fmt.Println(len(key), key[:4], p.Subject, p.Method, p.Scopes, err)
	// Output:
	// 73 rpk_ user-42 apikey [posts:read] <nil>
}
