package authredis_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps authredis a storage adapter: auth, auth/refresh (for its
// Record) and go-redis, never GraphQL, WebSocket, the demo or the JWT and
// password libraries.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/auth/authredis"
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
	// Runtime helpers: redisx shared with ratelimit/redisrl, logthrottle
	// through auth.
	deps := depstest.Forbid(t, self, forbidden, "github.com/rampart-go/rampart/internal/redisx", "github.com/rampart-go/rampart/internal/logthrottle")
	// Is this still the Redis adapter?
	depstest.Links(t, self, deps, "github.com/rampart-go/rampart/auth", "github.com/rampart-go/rampart/auth/refresh", "github.com/redis/go-redis/v9")
}
