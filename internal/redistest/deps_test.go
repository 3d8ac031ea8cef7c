package redistest_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps the helper small: go-redis and the standard library only.
func TestDeps(t *testing.T) {
	t.Parallel()
	forbidden := map[string]string{
		"github.com/99designs/gqlgen":    "the helper is go-redis and the standard library only",
		"github.com/vektah/gqlparser":    "the helper is go-redis and the standard library only",
		"github.com/coder/websocket":     "the helper is go-redis and the standard library only",
		"github.com/rampart-go/rampart/": "it must not depend on the code it helps test",
	}
	depstest.Forbid(t, "github.com/rampart-go/rampart/internal/redistest", forbidden)
}
