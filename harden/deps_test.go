package harden_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps: harden sits on top of the toolkit and may import any of its
// packages, but never the demo, and never a concrete credential scheme
// (auth's JWT, password or API key code): it takes an auth.Authenticator.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/harden"
	forbidden := map[string]string{
		"github.com/rampart-go/rampart/demo":  "nothing imports demo",
		"github.com/rampart-go/rampart/auth/": "take an auth.Authenticator instead",
		"github.com/golang-jwt/":              "JWTs are auth's business",
	}
	deps := depstest.Forbid(t, self, forbidden)
	depstest.Links(t, self, deps, "github.com/rampart-go/rampart/auth")
}
