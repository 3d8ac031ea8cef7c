package jwt_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps auth/jwt to one job: it imports auth and golang-jwt, never
// the password libraries, Redis, GraphQL or WebSocket code.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/auth/jwt"
	out, err := exec.Command("go", "list", "-deps", self).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	// internal/logthrottle: auth's outage log line, standard library only.
	allowed := []string{"github.com/rampart-go/rampart", "github.com/rampart-go/rampart/auth", "github.com/rampart-go/rampart/internal/logthrottle", "github.com/golang-jwt/jwt/"}
	seen := 0
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == self {
			seen++
			continue
		}
		if !strings.Contains(strings.SplitN(pkg, "/", 2)[0], ".") {
			continue // standard library
		}
		ok := false
		for _, a := range allowed {
			if pkg == a || strings.HasSuffix(a, "/") && strings.HasPrefix(pkg, a) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("auth/jwt imports %s: only auth and golang-jwt are allowed (argon2 and zxcvbn live in auth/password, Redis in auth/authredis)", pkg)
		}
	}
	if seen != 1 {
		t.Fatalf("go list output does not list the package itself:\n%s", out)
	}
}
