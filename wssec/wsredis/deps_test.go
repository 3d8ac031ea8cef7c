package wsredis_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps: wsredis is the Redis adapter of wssec's session bus: wssec,
// auth's core and go-redis, never GraphQL, the demo or the JWT and password
// libraries.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/wssec/wsredis"
	forbidden := map[string]string{
		"github.com/99designs/gqlgen":               "the session bus knows nothing of GraphQL",
		"github.com/vektah/gqlparser":               "the session bus knows nothing of GraphQL",
		"github.com/rampart-go/rampart/demo":        "toolkit packages never import the demo",
		"github.com/rampart-go/rampart/wssec/gqlws": "the bus serves every wssec face",
		"github.com/rampart-go/rampart/internal/":   "test helpers stay out of the library",
		"github.com/golang-jwt/jwt":                 "events carry token ids, never tokens",
		"golang.org/x/crypto/argon2":                "passwords never reach the bus",
	}
	// Runtime helpers of the library (standard library only, the root
	// TestDeps) come in through auth and wssec.
	deps := depstest.Forbid(t, self, forbidden, "github.com/rampart-go/rampart/internal/logthrottle", "github.com/rampart-go/rampart/internal/textctl")
	depstest.Links(t, self, deps, "github.com/rampart-go/rampart/wssec", "github.com/redis/go-redis/v9")
}
