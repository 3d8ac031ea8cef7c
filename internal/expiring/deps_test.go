package expiring_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps expiring a standard-library leaf: mfa and webhook import
// it, and webhook itself is standard library only.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	seen := false
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/rampart-go/rampart/internal/expiring" {
			seen = true
			continue
		}
		t.Errorf("expiring imports %s: standard library only", pkg)
	}
	if !seen {
		t.Fatalf("go list output does not list the package itself:\n%s", out)
	}
}
