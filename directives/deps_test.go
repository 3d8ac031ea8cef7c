package directives_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the import direction of DESIGN.md: directives may use auth,
// gqlgen and bluemonday, never the WebSocket stack, Redis or the demo.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/rampart-go/rampart/directives").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := map[string]string{
		"github.com/coder/websocket":           "WebSocket handling belongs to wssec",
		"github.com/redis/go-redis":            "shared state belongs to ratelimit",
		"github.com/rampart-go/rampart/demo":   "toolkit packages never import the demo",
		"github.com/rampart-go/rampart/wssec":  "directives sits beside wssec, not above it",
		"github.com/rampart-go/rampart/gqlsec": "directives and gqlsec are siblings",
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("implausibly short dependency list: %q", deps)
	}
	for _, dep := range deps {
		for prefix, why := range forbidden {
			if dep == prefix || strings.HasPrefix(dep, prefix+"/") {
				t.Errorf("directives imports %s: %s", dep, why)
			}
		}
	}
}
