package auth_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps auth a leaf of the toolkit: it verifies credentials and
// must not pull in GraphQL, WebSocket or Redis code, nor any other Rampart
// package but the root one (rampart.ErrConfig, shared codes).
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
		"github.com/redis/go-redis":          "a Redis Revocations store belongs outside auth, behind the interface",
		"github.com/rampart-go/rampart/":     "auth is a leaf: other Rampart packages import it, not the reverse",
		"github.com/microcosm-cc/bluemonday": "sanitising is not auth's job",
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/rampart-go/rampart/auth" {
			continue
		}
		for prefix, why := range forbidden {
			if strings.HasPrefix(pkg, prefix) {
				t.Errorf("auth imports %s: %s", pkg, why)
			}
		}
	}
}
