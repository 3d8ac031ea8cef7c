package refresh_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps auth/refresh on the standard library and auth alone:
// never golang-jwt, the password libraries, Redis, GraphQL or WebSocket
// code.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/auth/refresh"
	out, err := exec.Command("go", "list", "-deps", self).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	// internal/logthrottle: auth's outage log line, standard library only.
	allowed := []string{"github.com/rampart-go/rampart", "github.com/rampart-go/rampart/auth", "github.com/rampart-go/rampart/internal/logthrottle"}
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
			t.Errorf("auth/refresh imports %s: standard library and auth only (a Redis store belongs in auth/authredis)", pkg)
		}
	}
	if seen != 1 {
		t.Fatalf("go list output does not list the package itself:\n%s", out)
	}
}
