package gqlsec_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
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
	const self = "github.com/rampart-go/rampart/gqlsec"
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
	deps := depstest.Forbid(t, self, forbidden)
	depstest.Links(t, self, deps, "github.com/rampart-go/rampart/reqctx")
}
