package password_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps auth/password to one job: it imports auth, argon2 and
// zxcvbn, never golang-jwt, Redis, GraphQL or WebSocket code.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/auth/password"
	out, err := exec.Command("go", "list", "-deps", self).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	// A trailing slash allows the subpackages too.
	allowed := []string{
		"github.com/rampart-go/rampart", "github.com/rampart-go/rampart/auth",
		// auth's outage log line, standard library only
		"github.com/rampart-go/rampart/internal/logthrottle",
		// argon2 and what it needs
		"golang.org/x/crypto/argon2", "golang.org/x/crypto/blake2b", "golang.org/x/sys/cpu",
		// zxcvbn and its backtracking regexp engine
		"github.com/trustelem/zxcvbn", "github.com/trustelem/zxcvbn/", "github.com/dlclark/regexp2", "github.com/dlclark/regexp2/",
	}
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
			t.Errorf("auth/password imports %s: only auth, argon2 and zxcvbn are allowed (JWTs live in auth/jwt)", pkg)
		}
	}
	if seen != 1 {
		t.Fatalf("go list output does not list the package itself:\n%s", out)
	}
}
