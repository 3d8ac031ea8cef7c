package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rampart-go/rampart/auth"
)

// BenchmarkVerifyJWT compares JWTVerifier.Verify with a bare jwt/v5 parse
// of the same token (signature and exp only) as the baseline.
func BenchmarkVerifyJWT(b *testing.B) {
	k := testKeys()
	ctx := context.Background()
	cases := []struct {
		name   string
		method jwt.SigningMethod
		sign   any
		verify any
		cfg    auth.JWTConfig
	}{
		{"HS256", jwt.SigningMethodHS256, hmacSecret, hmacSecret, baseConfig(auth.JWTKey{ID: "k", Secret: hmacSecret})},
		{"EdDSA", jwt.SigningMethodEdDSA, k.ed, k.ed.Public(), baseConfig(auth.JWTKey{ID: "k", Algorithm: auth.AlgEdDSA, PublicKey: k.ed.Public()})},
	}
	for _, tc := range cases {
		tok := signToken(b, tc.method, tc.sign, map[string]any{"kid": "k"}, goodClaims())
		b.Run(tc.name+"/baseline_jwt_parse", func(b *testing.B) {
			p := jwt.NewParser(jwt.WithValidMethods([]string{tc.method.Alg()}), jwt.WithTimeFunc(fixedClock(t0)))
			keyFunc := func(*jwt.Token) (any, error) { return tc.verify, nil }
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Parse(tok, keyFunc); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/rampart_verify", func(b *testing.B) {
			v := mustVerifier(b, tc.cfg)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

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
// HS256 token against the same handler without it.
func BenchmarkMiddleware(b *testing.B) {
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	tok := signToken(b, jwt.SigningMethodHS256, hmacSecret, map[string]any{"kid": "hs1"}, goodClaims())
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
	mw := auth.Middleware(mustVerifier(b, hsConfig()), auth.MiddlewareOptions{})
	b.Run("baseline_bare_handler", func(b *testing.B) { run(b, noop, "") })
	b.Run("anonymous", func(b *testing.B) { run(b, mw(noop), "") })
	b.Run("bearer_HS256", func(b *testing.B) { run(b, mw(noop), "Bearer "+tok) })
}
