package gqlsec_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps gqlsec's imports to those DESIGN.md allows: no WebSocket
// library (that is wssec's job) and never the demo.
//
// Of auth it links only the core (Principal, Authenticator, middleware):
// never golang-jwt, argon2 or zxcvbn, which live in auth/jwt and
// auth/password.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/rampart-go/rampart/gqlsec").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := map[string]string{
		"github.com/coder/websocket":          "WebSocket hardening lives in wssec",
		"github.com/rampart-go/rampart/demo":  "nothing imports demo",
		"github.com/rampart-go/rampart/wssec": "gqlsec guards the HTTP endpoint only",
		"github.com/golang-jwt/jwt":           "gqlsec needs only auth's vocabulary (Principal, Authenticator); JWTs are verified in auth/jwt, which the server wires in",
		"golang.org/x/crypto/argon2":          "gqlsec never sees a password; hashing lives in auth/password",
		"github.com/trustelem/zxcvbn":         "gqlsec never sees a password; strength checks live in auth/password",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for bad, why := range forbidden {
			if pkg == bad || strings.HasPrefix(pkg, bad+"/") {
				t.Errorf("gqlsec imports %s: %s", pkg, why)
			}
		}
	}
}
