package httpsec

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps httpsec free of GraphQL and WebSocket code: it is the
// plain-HTTP layer in front of gqlsec and wssec, so it may import auth,
// ratelimit, reqctx, rs/cors and the standard library, and nothing that would
// pull gqlgen or a Redis client into a webhook server.
//
// Of auth it links only the core (Principal, Authenticator, middleware):
// never golang-jwt, argon2 or zxcvbn, which live in auth/jwt and
// auth/password.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/httpsec"
	forbidden := map[string]string{
		"github.com/99designs/gqlgen":              "httpsec is GraphQL-agnostic; GraphQL middleware lives in gqlsec",
		"github.com/vektah/gqlparser":              "httpsec is GraphQL-agnostic",
		"github.com/coder/websocket":               "WebSocket hardening lives in wssec",
		"github.com/rampart-go/rampart/demo":       "no toolkit package imports demo",
		"github.com/rampart-go/rampart/gqlsec":     "gqlsec imports httpsec, not the reverse",
		"github.com/rampart-go/rampart/wssec":      "wssec imports httpsec, not the reverse",
		"github.com/rampart-go/rampart/directives": "directives are GraphQL-only",
		"github.com/rampart-go/rampart/complexity": "complexity is GraphQL-only",
		"github.com/microcosm-cc/bluemonday":       "sanitising is not an HTTP-layer job",
		"modernc.org/sqlite":                       "storage belongs to the demo",
		"github.com/redis/go-redis":                "Redis stores live in ratelimit/redisrl; in-memory users link no Redis client",
		"github.com/golang-jwt/jwt":                "httpsec needs only auth's vocabulary (Principal, Authenticator); JWTs are verified in auth/jwt, which the server wires in",
		"golang.org/x/crypto/argon2":               "httpsec never sees a password; hashing lives in auth/password",
		"github.com/trustelem/zxcvbn":              "httpsec never sees a password; strength checks live in auth/password",
	}
	deps := depstest.Forbid(t, self, forbidden)
	if len(deps) < 10 {
		t.Fatalf("go list -deps returned too little to trust: %q", deps)
	}
}
