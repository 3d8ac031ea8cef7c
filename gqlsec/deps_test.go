package gqlsec_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps gqlsec's imports one-way: no WebSocket library (that is
// wssec's job), no httpsec (request ids and client IPs come from reqctx), no
// Redis client and never the demo.
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
