package harden_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps: harden sits on top of the toolkit and may import any of its
// packages, but never the demo, and never a concrete credential scheme
// (auth's JWT, password or API key code): it takes an auth.Authenticator.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", "{{range .Imports}}{{.}} {{end}}", "github.com/rampart-go/rampart/harden").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	imports := strings.Fields(string(out))
	if len(imports) < 5 {
		t.Fatalf("implausibly short import list: %q", imports)
	}
	for _, pkg := range imports {
		switch {
		case strings.HasPrefix(pkg, "github.com/rampart-go/rampart/demo"):
			t.Errorf("harden imports %s: nothing imports demo", pkg)
		case strings.HasPrefix(pkg, "github.com/rampart-go/rampart/auth/"):
			t.Errorf("harden imports %s: take an auth.Authenticator instead", pkg)
		case strings.HasPrefix(pkg, "github.com/golang-jwt/"):
			t.Errorf("harden imports %s: JWTs are auth's business", pkg)
		}
	}
}
