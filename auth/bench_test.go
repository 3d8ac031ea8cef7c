package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/jwt"
)

// BenchmarkPrincipalFrom compares the context getter with a bare
// context.Value lookup.
func BenchmarkPrincipalFrom(b *testing.B) {
	type key struct{}
	p := &auth.Principal{Subject: "u"}
	b.Run("baseline_context_value", func(b *testing.B) {
		ctx := context.WithValue(context.Background(), key{}, p)
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := ctx.Value(key{}).(*auth.Principal); !ok {
				b.Fatal("lost")
			}
		}
	})
	b.Run("PrincipalFrom", func(b *testing.B) {
		ctx := auth.WithPrincipal(context.Background(), p)
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := auth.PrincipalFrom(ctx); !ok {
				b.Fatal("lost")
			}
		}
	})
}

// BenchmarkMiddleware measures a whole request through Middleware with an
// HS256 token (checked by an auth/jwt Verifier) against the same handler
// without it.
func BenchmarkMiddleware(b *testing.B) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cfg := jwt.Config{
		Issuer:   "https://issuer.example",
		Audience: "rampart-api",
		Keys:     []jwt.Key{{ID: "hs1", Secret: []byte("0123456789abcdef0123456789abcdef")}},
		Now:      func() time.Time { return now },
	}
	issuer, err := jwt.NewIssuer(cfg)
	if err != nil {
		b.Fatal(err)
	}
	verifier, err := jwt.NewVerifier(cfg)
	if err != nil {
		b.Fatal(err)
	}
	at, err := issuer.Issue(auth.Principal{Subject: "user-1", Roles: []string{"USER"}, Scopes: []string{"posts:read", "posts:write"}, AMR: []string{"pwd"}})
	if err != nil {
		b.Fatal(err)
	}
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	run := func(b *testing.B, h http.Handler, authz string) {
		r := httptest.NewRequest(http.MethodPost, "/query", nil)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, r)
		}
	}
	mw := auth.Middleware(verifier, auth.MiddlewareOptions{})
	b.Run("baseline_bare_handler", func(b *testing.B) { run(b, noop, "") })
	b.Run("anonymous", func(b *testing.B) { run(b, mw(noop), "") })
	b.Run("bearer_HS256", func(b *testing.B) { run(b, mw(noop), "Bearer "+at.Token) })
}
