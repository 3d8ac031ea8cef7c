package complexity_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps complexity a pure analysis package: gqlparser only, no
// net/http and no gqlgen.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/rampart-go/rampart/complexity").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := map[string]string{
		"net/http":                           "complexity measures documents; HTTP belongs to gqlsec",
		"github.com/99designs/gqlgen":        "complexity must stay usable without gqlgen",
		"github.com/coder/websocket":         "not a transport package",
		"github.com/rampart-go/rampart/demo": "nothing imports demo",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for bad, why := range forbidden {
			if pkg == bad || strings.HasPrefix(pkg, bad+"/") {
				t.Errorf("complexity imports %s: %s", pkg, why)
			}
		}
	}
}
