package redisrl_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps redisrl small: go-redis, ratelimit, the root package and
// the shared call helper internal/redisx; never GraphQL, WebSockets or
// another Rampart package.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	allowed := map[string]bool{
		"github.com/rampart-go/rampart":                   true,
		"github.com/rampart-go/rampart/internal/redisx":   true,
		"github.com/rampart-go/rampart/ratelimit":         true,
		"github.com/rampart-go/rampart/ratelimit/redisrl": true,
	}
	forbidden := map[string]string{
		"github.com/99designs/gqlgen":    "redisrl is below the GraphQL layer",
		"github.com/vektah/gqlparser":    "redisrl is below the GraphQL layer",
		"github.com/coder/websocket":     "redisrl knows nothing of WebSockets",
		"github.com/go-redis/redis_rate": "GCRA is implemented here, in one Lua script",
	}
	sawRedis := false
	for _, pkg := range strings.Fields(string(out)) {
		sawRedis = sawRedis || strings.HasPrefix(pkg, "github.com/redis/go-redis/v9")
		if strings.HasPrefix(pkg, "github.com/rampart-go/rampart") && !allowed[pkg] {
			t.Errorf("redisrl imports %s: only ratelimit, the root package and internal/redisx are allowed", pkg)
		}
		for prefix, why := range forbidden {
			if strings.HasPrefix(pkg, prefix) {
				t.Errorf("redisrl imports %s: %s", pkg, why)
			}
		}
	}
	if !sawRedis {
		t.Fatalf("go list output does not list go-redis: the check itself is broken\n%s", out)
	}
}
