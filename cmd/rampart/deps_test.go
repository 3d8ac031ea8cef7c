package main

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps the command small: it prints SDL and needs neither the
// HTTP guards, the WebSocket stack nor the demo.
func TestDeps(t *testing.T) {
	t.Parallel()
	forbidden := map[string]string{
		"github.com/coder/websocket":           "no WebSocket code in a code generator",
		"github.com/rampart-go/rampart/demo":   "nothing imports demo",
		"github.com/rampart-go/rampart/gqlsec": "the command prints SDL only",
		"github.com/rampart-go/rampart/wssec":  "the command prints SDL only",
		"github.com/rampart-go/rampart/harden": "the command prints SDL only",
	}
	depstest.Forbid(t, "github.com/rampart-go/rampart/cmd/rampart", forbidden)
}
