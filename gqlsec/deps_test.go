package gqlsec_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps gqlsec's imports to the allowed ones: no WebSocket
// library (that is wssec's job) and never the demo.
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
	}
	for _, pkg := range strings.Fields(string(out)) {
		for bad, why := range forbidden {
			if pkg == bad || strings.HasPrefix(pkg, bad+"/") {
				t.Errorf("gqlsec imports %s: %s", pkg, why)
			}
		}
	}
}
