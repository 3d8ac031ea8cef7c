package reqctx_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps reqctx a leaf of the standard library, so that every
// package may import it.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	seen := false
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/rampart-go/rampart/reqctx" {
			seen = true
			continue
		}
		t.Errorf("reqctx imports %s: it must import only the standard library", pkg)
	}
	if !seen {
		t.Fatalf("go list output does not list reqctx itself: the check is broken\n%s", out)
	}
}
