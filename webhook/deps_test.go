package webhook_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps webhook a standard-library leaf, plus three small
// standard-library-only helpers: the root package (ErrConfig),
// internal/jsonerror (the shared error-body writer) and internal/expiring
// (the replay cache's expiring set).
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := map[string]string{
		"github.com/99designs/gqlgen":              "webhook is not GraphQL-specific",
		"github.com/vektah/gqlparser":              "webhook is not GraphQL-specific",
		"github.com/coder/websocket":               "webhook knows nothing of WebSockets",
		"github.com/redis/go-redis":                "the replay cache is in memory",
		"github.com/rampart-go/rampart/demo":       "nothing imports demo",
		"github.com/rampart-go/rampart/auth":       "webhook is a leaf",
		"github.com/rampart-go/rampart/ratelimit":  "webhook is a leaf",
		"github.com/rampart-go/rampart/gqlsec":     "webhook is a leaf",
		"github.com/rampart-go/rampart/wssec":      "webhook is a leaf",
		"github.com/rampart-go/rampart/directives": "webhook is a leaf",
		"github.com/rampart-go/rampart/complexity": "webhook is a leaf",
		"github.com/rampart-go/rampart/internal/g": "webhook is a leaf",
		"github.com/rampart-go/rampart/internal/r": "webhook is a leaf",
		"github.com/rampart-go/rampart/ssrf":       "webhook is a leaf",
	}
	allowed := map[string]bool{
		"github.com/rampart-go/rampart":                    true,
		"github.com/rampart-go/rampart/internal/jsonerror": true,
		"github.com/rampart-go/rampart/internal/expiring":  true,
	}
	seen := 0
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/rampart-go/rampart/webhook" {
			seen++
			continue
		}
		if strings.Contains(strings.SplitN(pkg, "/", 2)[0], ".") && !allowed[pkg] {
			t.Errorf("webhook imports %s: standard library only (the root package, internal/jsonerror and internal/expiring excepted)", pkg)
		}
		for prefix, why := range forbidden {
			if strings.HasPrefix(pkg, prefix) {
				t.Errorf("webhook imports %s: %s", pkg, why)
			}
		}
	}
	if seen != 1 {
		t.Fatalf("go list output does not list the package itself:\n%s", out)
	}
}
