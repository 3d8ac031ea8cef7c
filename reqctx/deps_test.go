package reqctx_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps reqctx a leaf of the standard library, so that every
// package may import it.
func TestDeps(t *testing.T) {
	t.Parallel()
	depstest.AllowOnly(t, "github.com/rampart-go/rampart/reqctx", "it must import only the standard library")
}
