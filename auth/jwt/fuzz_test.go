package jwt_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth"
)

// FuzzVerify feeds arbitrary strings to a verifier trusting one key of
// each algorithm: it must never panic, a nil principal always comes with an
// error, and a refused token always wraps one of the sentinels.
func FuzzVerify(f *testing.F) {
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
