package wssec_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps wssec free of GraphQL (gqlgen is adapted in wssec/gqlws
// only), of httpsec (client IPs come from reqctx) and of Redis, and no
// toolkit package imports the demo.
//
// Of auth it links only the core (Principal, Authenticator, middleware):
// never golang-jwt, argon2 or zxcvbn, which live in auth/jwt and
// auth/password.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/wssec"
	forbidden := map[string]string{
		"github.com/99designs/gqlgen":               "wssec is GraphQL-neutral; wssec/gqlws adapts it to gqlgen",
		"github.com/vektah/gqlparser":               "wssec knows nothing of GraphQL documents",
		"github.com/rampart-go/rampart/demo":        "toolkit packages never import the demo",
		"github.com/rampart-go/rampart/wssec/gqlws": "imports point from the adapter to wssec, not back",
		"github.com/rampart-go/rampart/gqlsec":      "wssec sits below the GraphQL layer",
		"github.com/rampart-go/rampart/directives":  "wssec sits below the GraphQL layer",
		"github.com/rampart-go/rampart/complexity":  "wssec sits below the GraphQL layer",
		"github.com/gorilla/websocket":              "one WebSocket library: coder/websocket",
		"github.com/rampart-go/rampart/httpsec":     "request-scoped values come from reqctx; httpsec is the middleware layer, not a dependency",
		"github.com/redis/go-redis":                 "no Redis client in the guards: Redis stores live in ratelimit/redisrl and auth/authredis",
		"github.com/golang-jwt/jwt":                 "wssec needs only auth's vocabulary (Principal, Authenticator); JWTs are verified in auth/jwt, which the server wires in",
		"golang.org/x/crypto/argon2":                "wssec never sees a password; hashing lives in auth/password",
		"github.com/trustelem/zxcvbn":               "wssec never sees a password; strength checks live in auth/password",
	}
	deps := depstest.Forbid(t, self, forbidden)
	depstest.Links(t, self, deps, "github.com/coder/websocket")
}

// protocolWords are words of the graphql-transport-ws protocol. wssec is the
// plain WebSocket guard: the protocol, its message types and its close
// codes belong to wssec/gqlws.
var protocolWords = regexp.MustCompile(`(?i)graphql|subscri(be|ption)|connection_(init|ack)|\b44(00|09|29)\b`)

// TestProtocolNeutral fails when wssec's code or docs (tests aside) speak of
// graphql-transport-ws: a message type, the protocol's name, or one of the
// close codes only that protocol sends.
func TestProtocolNeutral(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for i, line := range strings.Split(string(src), "\n") {
			if w := protocolWords.FindString(line); w != "" {
				t.Errorf("%s:%d mentions %q; graphql-transport-ws belongs to wssec/gqlws", f, i+1, w)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no source files checked: the check itself is broken")
	}
}
