package upload_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps upload's imports one-way: it imports gqlgen's graphql and
// transport packages, gqlparser's gqlerror, auth (the caller), reqctx (the
// client IP), the root package (ErrConfig, Unlimited) and httpsec (audit
// records; httpsec brings auth, ratelimit and rs/cors along), and nothing
// from the demo, gqlsec, directives or wssec. gqlgen's
// transport package imports coder/websocket for its WebSocket transport;
// that indirect edge is allowed, a direct one from this module is not.
//
// Of auth it links only the core (Principal, Authenticator, middleware):
// never golang-jwt, argon2 or zxcvbn, which live in auth/jwt and
// auth/password.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/upload"
	forbidden := map[string]string{
		"github.com/rampart-go/rampart/demo":       "toolkit packages never import the demo",
		"github.com/rampart-go/rampart/gqlsec":     "upload sits beside gqlsec",
		"github.com/rampart-go/rampart/directives": "upload sits beside directives",
		"github.com/rampart-go/rampart/wssec":      "uploads have nothing to do with WebSockets",
		"github.com/rampart-go/rampart/complexity": "upload does not analyse operations",
		"modernc.org/sqlite":                       "storage belongs to the demo",
		"github.com/microcosm-cc/bluemonday":       "upload refuses markup, it does not sanitise it",
		"github.com/golang-jwt/jwt":                "upload needs only auth's vocabulary (Principal, Authenticator); JWTs are verified in auth/jwt, which the server wires in",
		"golang.org/x/crypto/argon2":               "upload never sees a password; hashing lives in auth/password",
		"github.com/trustelem/zxcvbn":              "upload never sees a password; strength checks live in auth/password",
	}
	depstest.Forbid(t, self, forbidden)

	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", self).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	direct := map[string]bool{ // non-standard imports upload itself may use
		"github.com/99designs/gqlgen/graphql":                   true,
		"github.com/99designs/gqlgen/graphql/handler/transport": true,
		"github.com/vektah/gqlparser/v2/gqlerror":               true,
		"github.com/rampart-go/rampart/httpsec":                 true,
		"github.com/rampart-go/rampart/auth":                    true,
		"github.com/rampart-go/rampart/reqctx":                  true,
		"github.com/rampart-go/rampart":                         true,
	}
	under := func(pkg, prefix string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 10 {
		t.Fatalf("implausibly short dependency list: %q", lines)
	}
	sawSelf, sawWebsocket := false, false
	for _, line := range lines {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		if pkg == self {
			sawSelf = true
			for _, imp := range imports {
				if strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") && !direct[imp] {
					t.Errorf("upload imports %s directly: not in its allowed set", imp)
				}
			}
		}
		for _, imp := range imports {
			if under(imp, "github.com/coder/websocket") {
				sawWebsocket = true
				if !under(pkg, "github.com/99designs/gqlgen") && !under(pkg, "github.com/coder/websocket") {
					t.Errorf("%s imports %s: only gqlgen's transport may, on upload's path", pkg, imp)
				}
			}
		}
	}
	if !sawSelf {
		t.Fatalf("go list output does not list %s", self)
	}
	if !sawWebsocket {
		t.Logf("gqlgen's transport no longer pulls in coder/websocket: the doc comment can drop that note")
	}
}
