package gqlws_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps: the adapter may import gqlgen and wssec, but never httpsec
// (request-scoped values come from reqctx), a Redis client or the demo.
//
// Of auth it links only the core (Principal, Authenticator, middleware):
// never golang-jwt, argon2 or zxcvbn, which live in auth/jwt and
// auth/password.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/rampart-go/rampart/wssec/gqlws").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := map[string]string{
		"github.com/rampart-go/rampart/demo":    "toolkit packages never import the demo",
		"github.com/gorilla/websocket":          "one WebSocket library: coder/websocket",
		"github.com/rampart-go/rampart/httpsec": "request-scoped values come from reqctx; httpsec is the middleware layer, not a dependency",
		"github.com/redis/go-redis":             "no Redis client in the guards: Redis stores live in ratelimit/redisrl and auth/authredis",
		"github.com/golang-jwt/jwt":             "gqlws needs only auth's vocabulary (Principal, Authenticator); JWTs are verified in auth/jwt, which the server wires in",
		"golang.org/x/crypto/argon2":            "gqlws never sees a password; hashing lives in auth/password",
		"github.com/trustelem/zxcvbn":           "gqlws never sees a password; strength checks live in auth/password",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for prefix, why := range forbidden {
			if pkg == prefix || strings.HasPrefix(pkg, prefix+"/") {
				t.Errorf("gqlws imports %s: %s", pkg, why)
			}
		}
	}
	for _, want := range []string{"github.com/rampart-go/rampart/wssec", "github.com/99designs/gqlgen/graphql/handler/transport"} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("gqlws does not import %s: the check itself is broken", want)
		}
	}
}
