package mfa_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps mfa transport-neutral: it may use auth, ratelimit and
// pquerna/otp, the root package and internal/expiring, but no GraphQL,
// WebSocket or HTML code, and never the demo.
//
// Of auth it links only the core (Principal, Authenticator, middleware):
// never golang-jwt, argon2 or zxcvbn, which live in auth/jwt and
// auth/password.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/mfa"
	forbidden := map[string]string{
		"github.com/99designs/gqlgen":                    "mfa is transport-neutral; only gqlsec, directives and wssec/gqlws import gqlgen",
		"github.com/vektah/gqlparser":                    "mfa knows nothing of GraphQL documents",
		"github.com/coder/websocket":                     "WebSocket code lives in wssec",
		"github.com/microcosm-cc/bluemonday":             "sanitising is not mfa's job",
		"github.com/rampart-go/rampart/demo":             "nothing imports the demo",
		"github.com/rampart-go/rampart/gqlsec":           "gqlsec sits above mfa",
		"github.com/rampart-go/rampart/directives":       "directives sit above mfa (they call Fresh)",
		"github.com/rampart-go/rampart/wssec":            "wssec sits beside mfa",
		"github.com/rampart-go/rampart/httpsec":          "mfa has no HTTP surface of its own",
		"github.com/rampart-go/rampart/internal/gqltest": "test helpers stay in tests",
		"github.com/golang-jwt/jwt":                      "mfa needs only auth's vocabulary (Principal, Authenticator); JWTs are verified in auth/jwt, which the server wires in",
		"golang.org/x/crypto/argon2":                     "mfa never sees a password; hashing lives in auth/password",
		"github.com/trustelem/zxcvbn":                    "mfa never sees a password; strength checks live in auth/password",
	}
	deps := depstest.Forbid(t, self, forbidden)
	// If one of these goes, update this test and the README.
	depstest.Links(t, self, deps, "github.com/rampart-go/rampart/auth", "github.com/rampart-go/rampart/ratelimit", "github.com/pquerna/otp/hotp")
}
