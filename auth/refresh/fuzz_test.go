package refresh_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/refresh"
)

// FuzzRotate: arbitrary refresh tokens never panic and are never accepted
// unless issued.
func FuzzRotate(f *testing.F) {
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	f.Add("eyJhbGciOiJIUzI1NiJ9.e30.sig")
	r, _ := newRefresh(f, &fakeClock{now: t0}, refresh.Options{})
	f.Fuzz(func(t *testing.T, tok string) {
		sub, nt, err := r.Rotate(context.Background(), tok)
		if err == nil || sub != "" || nt != "" || !errors.Is(err, auth.ErrInvalidToken) {
			t.Fatalf("Rotate(%q) = %q %q %v", tok, sub, nt, err)
		}
	})
}
