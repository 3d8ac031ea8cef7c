package gqlws_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps: the adapter may import gqlgen and wssec, but never httpsec
// (request-scoped values come from reqctx), a Redis client or the demo.
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
