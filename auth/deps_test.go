package auth_test

import (
	"strings"
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps auth the small vocabulary every guard shares: Principal,
// Credential, Authenticator, the errors and the HTTP middleware, on the
// standard library alone. It must not pull in GraphQL, WebSocket or Redis
// code, nor any other Rampart package, and above all not the libraries of
// its subpackages (JWT, argon2, zxcvbn): gqlsec, directives, wssec and
// httpsec import auth for the Principal and must not link them.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/auth"
	// The root package and a runtime helper: standard library only (the root
	// TestDeps).
	depstest.AllowOnly(t, self, "the core is standard library only; heavier jobs live in subpackages",
		"github.com/rampart-go/rampart", "github.com/rampart-go/rampart/internal/logthrottle")
	forbidden := map[string]string{
		"github.com/99designs/gqlgen":        "auth is transport-neutral; only gqlsec, directives and wssec/gqlws import gqlgen",
		"github.com/vektah/gqlparser":        "auth knows nothing of GraphQL documents",
		"github.com/coder/websocket":         "WebSocket code lives in wssec",
		"github.com/redis/go-redis":          "a Redis Revocations store belongs outside auth, behind the interface (auth/authredis)",
		"github.com/rampart-go/rampart/":     "auth is a leaf: other Rampart packages (its subpackages included) import it, not the reverse",
		"github.com/microcosm-cc/bluemonday": "sanitising is not auth's job",
		"github.com/golang-jwt/jwt":          "JWTs are issued and verified in auth/jwt, so that the guards importing auth do not link golang-jwt",
		"golang.org/x/crypto/argon2":         "password hashing lives in auth/password",
		"github.com/trustelem/zxcvbn":        "password strength lives in auth/password",
	}
	depstest.Forbid(t, self, forbidden, "github.com/rampart-go/rampart/internal/logthrottle")
}

// TestDepsLibrariesLiveInSubpackages checks the other side of TestDeps and
// of the guards' deps tests, which forbid these import paths: each library
// is still linked where it belongs, under the path those tests spell. If a
// library moves (a new major version, another port), this test fails
// instead of the forbidding tests passing vacuously.
func TestDepsLibrariesLiveInSubpackages(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		"github.com/rampart-go/rampart/auth/jwt":      {"github.com/golang-jwt/jwt"},
		"github.com/rampart-go/rampart/auth/password": {"golang.org/x/crypto/argon2", "github.com/trustelem/zxcvbn"},
	}
	for pkg, libs := range want {
		deps := depstest.Deps(t, pkg)
		for _, lib := range libs {
			found := false
			for _, d := range deps {
				if d == lib || strings.HasPrefix(d, lib+"/") {
					found = true
				}
			}
			if !found {
				t.Errorf("%s no longer links %s: update the forbidden paths of the deps tests of auth, gqlsec, directives, wssec, wssec/gqlws, httpsec, mfa and upload", pkg, lib)
			}
		}
	}
}
