package jwt_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/jwt"
)

// Issue an access token at login and verify it on later requests. Issuer and
// verifier share one configuration; a verifier of asymmetric tokens needs
// only the public keys.
func ExampleIssuer() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cfg := jwt.Config{
		Issuer:   "https://api.example.com",
		Audience: "example-api",
		Keys:     []jwt.Key{{ID: "2026-03", Secret: []byte("a-32-byte-secret-from-your-vault")}},
		Now:      func() time.Time { return now },
	}
	issuer, err := jwt.NewIssuer(cfg)
	if err != nil {
		panic(err)
	}
	verifier, err := jwt.NewVerifier(cfg)
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
	evil, _ := jwt.NewIssuer(cfg)
	forged, _ := evil.Issue(auth.Principal{Subject: "admin"})
	_, err = verifier.Verify(context.Background(), forged.Token)
	fmt.Println(errors.Is(err, auth.ErrInvalidToken))
	// Output:
	// user-42 [USER] [posts:write] jwt 15m0s <nil>
	// true
}
