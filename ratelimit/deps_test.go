package ratelimit_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps ratelimit a leaf: it imports x/time and the root package
// rampart (ErrConfig), never go-redis (that is ratelimit/redisrl's), GraphQL,
// WebSocket or other Rampart packages.
func TestDeps(t *testing.T) {
	t.Parallel()
	forbidden := map[string]string{
		"github.com/99designs/gqlgen":    "ratelimit is below the GraphQL layer",
		"github.com/vektah/gqlparser":    "ratelimit is below the GraphQL layer",
		"github.com/coder/websocket":     "ratelimit knows nothing of WebSockets",
		"github.com/redis/go-redis":      "the Redis backend lives in ratelimit/redisrl, so in-memory users do not link go-redis",
		"github.com/rampart-go/rampart/": "ratelimit is a leaf: no Rampart package but the root one",
		"github.com/go-redis/redis_rate": "GCRA is implemented in ratelimit/redisrl, in one Lua script",
	}
	depstest.Forbid(t, "github.com/rampart-go/rampart/ratelimit", forbidden)
}
