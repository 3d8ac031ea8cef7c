package redistest_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the helper small: go-redis and the standard library only.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, bad := range []string{"github.com/99designs/gqlgen", "github.com/vektah/gqlparser", "github.com/coder/websocket"} {
			if strings.HasPrefix(pkg, bad) {
				t.Errorf("redistest imports %s", pkg)
			}
		}
		if strings.HasPrefix(pkg, "github.com/rampart-go/rampart/") && pkg != "github.com/rampart-go/rampart/internal/redistest" {
			t.Errorf("redistest imports %s: it must not depend on the code it helps test", pkg)
		}
	}
}
