package ssrf_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps ssrf a standard-library leaf, but for the root package
// rampart (ErrConfig), itself standard library only.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/ssrf"
	depstest.AllowOnly(t, self, "standard library only (and the root package)", "github.com/rampart-go/rampart")
	forbidden := map[string]string{
		"github.com/99designs/gqlgen":              "ssrf is not GraphQL-specific",
		"github.com/vektah/gqlparser":              "ssrf is not GraphQL-specific",
		"github.com/coder/websocket":               "ssrf knows nothing of WebSockets",
		"github.com/redis/go-redis":                "ssrf keeps no state",
		"github.com/rampart-go/rampart/demo":       "nothing imports demo",
		"github.com/rampart-go/rampart/auth":       "ssrf is a leaf",
		"github.com/rampart-go/rampart/ratelimit":  "ssrf is a leaf",
		"github.com/rampart-go/rampart/gqlsec":     "ssrf is a leaf",
		"github.com/rampart-go/rampart/wssec":      "ssrf is a leaf",
		"github.com/rampart-go/rampart/directives": "ssrf is a leaf",
		"github.com/rampart-go/rampart/complexity": "ssrf is a leaf",
		"github.com/rampart-go/rampart/internal/":  "ssrf is a leaf",
		"github.com/rampart-go/rampart/webhook":    "ssrf is a leaf",
		"github.com/rampart-go/rampart/httpsec":    "ssrf is a leaf",
	}
	depstest.Forbid(t, self, forbidden)
}
