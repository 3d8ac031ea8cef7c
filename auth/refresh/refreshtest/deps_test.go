package refreshtest_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps refreshtest on the standard library, auth and
// auth/refresh: a store's tests import it, and it must not drag anything
// else into them.
func TestDeps(t *testing.T) {
	t.Parallel()
	depstest.AllowOnly(t, "github.com/rampart-go/rampart/auth/refresh/refreshtest", "standard library, auth and auth/refresh only",
		"github.com/rampart-go/rampart", "github.com/rampart-go/rampart/auth", "github.com/rampart-go/rampart/auth/refresh",
		"github.com/rampart-go/rampart/internal/logthrottle",
	)
}
