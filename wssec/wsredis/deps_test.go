package wsredis_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps: wsredis is the Redis adapter of wssec's session bus: wssec,
// auth's core and go-redis, never GraphQL, the demo or the JWT and password
// libraries.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/rampart-go/rampart/wssec/wsredis").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := map[string]string{
		"github.com/99designs/gqlgen":               "the session bus knows nothing of GraphQL",
		"github.com/vektah/gqlparser":               "the session bus knows nothing of GraphQL",
		"github.com/rampart-go/rampart/demo":        "toolkit packages never import the demo",
		"github.com/rampart-go/rampart/wssec/gqlws": "the bus serves every wssec face",
		"github.com/rampart-go/rampart/internal/":   "test helpers stay out of the library",
		"github.com/golang-jwt/jwt":                 "events carry token ids, never tokens",
		"golang.org/x/crypto/argon2":                "passwords never reach the bus",
	}
	// Runtime helpers of the library (standard library only, the root
	// TestDeps) come in through auth and wssec.
	runtime := map[string]bool{
		"github.com/rampart-go/rampart/internal/logthrottle": true,
		"github.com/rampart-go/rampart/internal/textctl":     true,
	}
	for _, pkg := range strings.Fields(string(out)) {
		if runtime[pkg] {
			continue
		}
		for prefix, why := range forbidden {
			if pkg == prefix || strings.HasPrefix(pkg, prefix+"/") || (strings.HasSuffix(prefix, "/") && strings.HasPrefix(pkg, prefix)) {
				t.Errorf("wsredis imports %s: %s", pkg, why)
			}
		}
	}
	for _, want := range []string{"github.com/rampart-go/rampart/wssec", "github.com/redis/go-redis/v9"} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("wsredis does not import %s: the check itself is broken", want)
		}
	}
}
