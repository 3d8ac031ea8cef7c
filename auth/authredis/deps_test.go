package authredis_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps authredis a storage adapter: auth, auth/refresh (for its
// Record) and go-redis, never GraphQL, WebSocket, the demo or the JWT and
// password libraries.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/auth/authredis"
	out, err := exec.Command("go", "list", "-deps", self).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := map[string]string{
		"github.com/99designs/gqlgen":              "authredis stores credentials state; it knows nothing of GraphQL",
		"github.com/vektah/gqlparser":              "authredis knows nothing of GraphQL documents",
		"github.com/coder/websocket":               "WebSocket code lives in wssec",
		"github.com/rampart-go/rampart/demo":       "nothing in the toolkit imports the demo",
		"github.com/rampart-go/rampart/gqlsec":     "authredis sits below the GraphQL layer",
		"github.com/rampart-go/rampart/directives": "authredis sits below the GraphQL layer",
		"github.com/rampart-go/rampart/wssec":      "authredis sits below the WebSocket layer",
		"github.com/rampart-go/rampart/internal/":  "test helpers stay out of the library",
		"github.com/rampart-go/rampart/auth/jwt":   "Revocations satisfies jwt.Revocations structurally; importing auth/jwt would link golang-jwt into refresh-only servers",
		"github.com/golang-jwt/jwt":                "authredis stores token IDs, it never parses a JWT",
		"golang.org/x/crypto/argon2":               "passwords are not stored in Redis",
		"github.com/trustelem/zxcvbn":              "passwords are not stored in Redis",
	}
	seen := 0
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/rampart-go/rampart/internal/redisx" || pkg == "github.com/rampart-go/rampart/internal/logthrottle" {
			continue // runtime helpers: redisx shared with ratelimit/redisrl, logthrottle through auth
		}
		if pkg == self {
			seen++
			continue
		}
		for prefix, why := range forbidden {
			if strings.HasPrefix(pkg, prefix) {
				t.Errorf("authredis imports %s: %s", pkg, why)
			}
		}
	}
	if seen != 1 {
		t.Fatalf("go list output does not list the package itself:\n%s", out)
	}
	for _, want := range []string{"github.com/rampart-go/rampart/auth", "github.com/rampart-go/rampart/auth/refresh", "github.com/redis/go-redis/v9"} {
		if !strings.Contains(" "+strings.ReplaceAll(string(out), "\n", " ")+" ", " "+want+" ") {
			t.Errorf("authredis no longer imports %s: is this still the Redis adapter?", want)
		}
	}
}
