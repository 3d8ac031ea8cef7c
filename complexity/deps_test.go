package complexity_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps complexity a pure analysis package: gqlparser only, no
// net/http and no gqlgen.
func TestDeps(t *testing.T) {
	t.Parallel()
	forbidden := map[string]string{
		"net/http":                           "complexity measures documents; HTTP belongs to gqlsec",
		"github.com/99designs/gqlgen":        "complexity must stay usable without gqlgen",
		"github.com/coder/websocket":         "not a transport package",
		"github.com/rampart-go/rampart/demo": "nothing imports demo",
	}
	depstest.Forbid(t, "github.com/rampart-go/rampart/complexity", forbidden)
}
