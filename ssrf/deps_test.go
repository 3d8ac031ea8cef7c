package ssrf_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps ssrf a standard-library leaf, but for the root package
// rampart (ErrConfig), itself standard library only.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
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
	seen := 0
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/rampart-go/rampart/ssrf" {
			seen++
			continue
		}
		if strings.Contains(strings.SplitN(pkg, "/", 2)[0], ".") && pkg != "github.com/rampart-go/rampart" {
			t.Errorf("ssrf imports %s: standard library only (and the root package)", pkg)
		}
		for prefix, why := range forbidden {
			if strings.HasPrefix(pkg, prefix) {
				t.Errorf("ssrf imports %s: %s", pkg, why)
			}
		}
	}
	if seen != 1 {
		t.Fatalf("go list output does not list the package itself:\n%s", out)
	}
}
