package directives_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps directives' imports one-way: it may use auth, ratelimit,
// reqctx, the root package, gqlgen and bluemonday, never the WebSocket stack,
// the sibling gqlsec, the middleware package httpsec or the demo, and no
// Redis client reaches its build (Redis stores live in ratelimit/redisrl and
// auth/authredis).
//
// Of auth it links only the core (Principal, Authenticator, middleware):
// never golang-jwt, argon2 or zxcvbn, which live in auth/jwt and
// auth/password.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/directives"
	forbidden := map[string]string{
		"github.com/coder/websocket":            "WebSocket handling belongs to wssec",
		"github.com/rampart-go/rampart/demo":    "toolkit packages never import the demo",
		"github.com/rampart-go/rampart/wssec":   "directives sits beside wssec, not above it",
		"github.com/rampart-go/rampart/gqlsec":  "directives and gqlsec are siblings",
		"github.com/rampart-go/rampart/httpsec": "request-scoped values come from reqctx",
		"github.com/redis/go-redis":             "no Redis client in the guards",
		"github.com/golang-jwt/jwt":             "directives needs only auth's vocabulary (Principal, Authenticator); JWTs are verified in auth/jwt, which the server wires in",
		"golang.org/x/crypto/argon2":            "directives never sees a password; hashing lives in auth/password",
		"github.com/trustelem/zxcvbn":           "directives never sees a password; strength checks live in auth/password",
	}
	depstest.Forbid(t, self, forbidden)

	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", self).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	fields := strings.Fields(string(out))
	if len(fields) == 0 || fields[0] != self {
		t.Fatalf("go list output does not list %s:\n%s", self, out)
	}
	allowedRampart := map[string]bool{
		"github.com/rampart-go/rampart":           true,
		"github.com/rampart-go/rampart/auth":      true,
		"github.com/rampart-go/rampart/ratelimit": true,
		"github.com/rampart-go/rampart/reqctx":    true,
		// telemetry: the OpenTelemetry API only (its own TestDeps).
		"github.com/rampart-go/rampart/telemetry": true,
		// textctl: the control-character rules shared with wssec (standard
		// library only, the root TestDeps).
		"github.com/rampart-go/rampart/internal/textctl": true,
	}
	allowed := func(imp string) bool {
		// auth's subpackages (auth/jwt, ...) but not its Redis stores.
		return allowedRampart[imp] || (strings.HasPrefix(imp, "github.com/rampart-go/rampart/auth/") && !strings.HasPrefix(imp, "github.com/rampart-go/rampart/auth/authredis"))
	}
	under := func(pkg, prefix string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }
	for _, imp := range fields[1:] {
		if under(imp, "github.com/rampart-go/rampart") && !allowed(imp) {
			t.Errorf("directives imports %s: only auth, ratelimit, reqctx, telemetry and the root package are allowed", imp)
		}
	}
}
