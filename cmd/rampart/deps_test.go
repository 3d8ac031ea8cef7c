package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps the command small: it prints SDL and needs neither the
// HTTP guards, the WebSocket stack nor the demo.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/rampart-go/rampart/cmd/rampart").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := map[string]string{
		"github.com/coder/websocket":           "no WebSocket code in a code generator",
		"github.com/rampart-go/rampart/demo":   "nothing imports demo",
		"github.com/rampart-go/rampart/gqlsec": "the command prints SDL only",
		"github.com/rampart-go/rampart/wssec":  "the command prints SDL only",
		"github.com/rampart-go/rampart/harden": "the command prints SDL only",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for bad, why := range forbidden {
			if pkg == bad || strings.HasPrefix(pkg, bad+"/") {
				t.Errorf("cmd/rampart imports %s: %s", pkg, why)
			}
		}
	}
}
