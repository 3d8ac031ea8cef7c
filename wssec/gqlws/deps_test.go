package gqlws_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps: the adapter may import gqlgen and wssec, but never httpsec
// (request-scoped values come from reqctx), a Redis client or the demo.
//
// Of auth it links only the core (Principal, Authenticator, middleware):
// never golang-jwt, argon2 or zxcvbn, which live in auth/jwt and
// auth/password.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/wssec/gqlws"
	forbidden := map[string]string{
		"github.com/rampart-go/rampart/demo":    "toolkit packages never import the demo",
		"github.com/gorilla/websocket":          "one WebSocket library: coder/websocket",
		"github.com/rampart-go/rampart/httpsec": "request-scoped values come from reqctx; httpsec is the middleware layer, not a dependency",
		"github.com/redis/go-redis":             "no Redis client in the guards: Redis stores live in ratelimit/redisrl and auth/authredis",
		"github.com/golang-jwt/jwt":             "gqlws needs only auth's vocabulary (Principal, Authenticator); JWTs are verified in auth/jwt, which the server wires in",
		"golang.org/x/crypto/argon2":            "gqlws never sees a password; hashing lives in auth/password",
		"github.com/trustelem/zxcvbn":           "gqlws never sees a password; strength checks live in auth/password",
	}
	deps := depstest.Forbid(t, self, forbidden)
	depstest.Links(t, self, deps, "github.com/rampart-go/rampart/wssec", "github.com/99designs/gqlgen/graphql/handler/transport")
}
