package auth_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps auth the small vocabulary every guard shares: Principal,
// Credential, Authenticator, the errors and the HTTP middleware, on the
// standard library alone. It must not pull in GraphQL, WebSocket or Redis
// code, nor any other Rampart package, and above all not the libraries of
// its subpackages (JWT, argon2, zxcvbn): gqlsec, directives, wssec and
// httpsec import auth for the Principal and must not link them.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/rampart-go/rampart/auth").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
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
	seen := 0
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/rampart-go/rampart/auth" {
			seen++
			continue
		}
		if pkg == "github.com/rampart-go/rampart" || pkg == "github.com/rampart-go/rampart/internal/logthrottle" {
			continue // the root package and a runtime helper: standard library only (the root TestDeps)
		}
		if strings.Contains(strings.SplitN(pkg, "/", 2)[0], ".") {
			t.Errorf("auth imports %s: the core is standard library only; heavier jobs live in subpackages", pkg)
		}
		for prefix, why := range forbidden {
			if strings.HasPrefix(pkg, prefix) {
				t.Errorf("auth imports %s: %s", pkg, why)
			}
		}
	}
	if seen != 1 {
		t.Fatalf("go list output does not list the package itself:\n%s", out)
	}
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
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
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
