package gqlsec_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps gqlsec's imports one-way: no WebSocket library (that is
// wssec's job), no httpsec (request ids and client IPs come from reqctx), no
// Redis client and never the demo.
//
// Of auth it links only the core (Principal, Authenticator, middleware):
// never golang-jwt, argon2 or zxcvbn, which live in auth/jwt and
// auth/password.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/rampart-go/rampart/gqlsec").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := map[string]string{
		"github.com/coder/websocket":            "WebSocket hardening lives in wssec",
		"github.com/rampart-go/rampart/demo":    "nothing imports demo",
		"github.com/rampart-go/rampart/wssec":   "gqlsec guards the HTTP endpoint only",
		"github.com/rampart-go/rampart/httpsec": "request-scoped values come from reqctx; httpsec is the middleware layer, not a dependency",
		"github.com/redis/go-redis":             "no Redis client in the guards: Redis stores live in ratelimit/redisrl and auth/authredis",
		"github.com/golang-jwt/jwt":             "gqlsec needs only auth's vocabulary (Principal, Authenticator); JWTs are verified in auth/jwt, which the server wires in",
		"golang.org/x/crypto/argon2":            "gqlsec never sees a password; hashing lives in auth/password",
		"github.com/trustelem/zxcvbn":           "gqlsec never sees a password; strength checks live in auth/password",
	}
	pkgs := strings.Fields(string(out))
	if !strings.Contains(string(out), "github.com/rampart-go/rampart/reqctx\n") {
		t.Error("go list output does not list reqctx: the check itself is broken")
	}
	for _, pkg := range pkgs {
		for bad, why := range forbidden {
			if pkg == bad || strings.HasPrefix(pkg, bad+"/") {
				t.Errorf("gqlsec imports %s: %s", pkg, why)
			}
		}
	}
}
