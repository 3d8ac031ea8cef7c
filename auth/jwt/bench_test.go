package jwt_test

import (
	"context"
	"testing"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/rampart-go/rampart/auth/jwt"
)

// BenchmarkVerify compares Verifier.Verify with a bare jwt/v5 parse of the
// same token (signature and exp only) as the baseline.
func BenchmarkVerify(b *testing.B) {
	k := testKeys()
	ctx := context.Background()
	cases := []struct {
		name   string
		method gojwt.SigningMethod
		sign   any
		verify any
		cfg    jwt.Config
	}{
		{"HS256", gojwt.SigningMethodHS256, hmacSecret, hmacSecret, baseConfig(jwt.Key{ID: "k", Secret: hmacSecret})},
		{"EdDSA", gojwt.SigningMethodEdDSA, k.ed, k.ed.Public(), baseConfig(jwt.Key{ID: "k", Algorithm: jwt.AlgEdDSA, PublicKey: k.ed.Public()})},
	}
	for _, tc := range cases {
		tok := signToken(b, tc.method, tc.sign, map[string]any{"kid": "k"}, goodClaims())
		b.Run(tc.name+"/baseline_jwt_parse", func(b *testing.B) {
			p := gojwt.NewParser(gojwt.WithValidMethods([]string{tc.method.Alg()}), gojwt.WithTimeFunc(fixedClock(t0)))
			keyFunc := func(*gojwt.Token) (any, error) { return tc.verify, nil }
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
