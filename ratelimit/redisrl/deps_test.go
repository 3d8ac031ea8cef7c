package redisrl_test

import (
	"strings"
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps redisrl small: go-redis, ratelimit, the root package and
// the shared call helper internal/redisx; never GraphQL, WebSockets or
// another Rampart package.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/ratelimit/redisrl"
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
	deps := depstest.Forbid(t, self, forbidden)
	for _, pkg := range deps {
		if strings.HasPrefix(pkg, "github.com/rampart-go/rampart") && !allowed[pkg] {
			t.Errorf("redisrl imports %s: only ratelimit, the root package and internal/redisx are allowed", pkg)
		}
	}
	depstest.Links(t, self, deps, "github.com/redis/go-redis/v9")
}
