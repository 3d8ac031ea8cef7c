package webhook_test

import (
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps webhook a standard-library leaf, plus three small
// standard-library-only helpers: the root package (ErrConfig),
// internal/jsonerror (the shared error-body writer) and internal/expiring
// (the replay cache's expiring set).
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/webhook"
	depstest.AllowOnly(t, self, "standard library only (the root package, internal/jsonerror and internal/expiring excepted)",
		"github.com/rampart-go/rampart", "github.com/rampart-go/rampart/internal/jsonerror", "github.com/rampart-go/rampart/internal/expiring")
	forbidden := map[string]string{
		"github.com/99designs/gqlgen":                      "webhook is not GraphQL-specific",
		"github.com/vektah/gqlparser":                      "webhook is not GraphQL-specific",
		"github.com/coder/websocket":                       "webhook knows nothing of WebSockets",
		"github.com/redis/go-redis":                        "the replay cache is in memory",
		"github.com/rampart-go/rampart/demo":               "nothing imports demo",
		"github.com/rampart-go/rampart/auth":               "webhook is a leaf",
		"github.com/rampart-go/rampart/ratelimit":          "webhook is a leaf",
		"github.com/rampart-go/rampart/gqlsec":             "webhook is a leaf",
		"github.com/rampart-go/rampart/wssec":              "webhook is a leaf",
		"github.com/rampart-go/rampart/directives":         "webhook is a leaf",
		"github.com/rampart-go/rampart/complexity":         "webhook is a leaf",
		"github.com/rampart-go/rampart/internal/golden":    "webhook is a leaf",
		"github.com/rampart-go/rampart/internal/gqltest":   "webhook is a leaf",
		"github.com/rampart-go/rampart/internal/redistest": "webhook is a leaf",
		"github.com/rampart-go/rampart/internal/redisx":    "webhook is a leaf",
		"github.com/rampart-go/rampart/ssrf":               "webhook is a leaf",
	}
	depstest.Forbid(t, self, forbidden)
}
