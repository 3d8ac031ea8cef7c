package ratelimit_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps keeps ratelimit a leaf: it imports x/time and go-redis, never
// GraphQL, WebSocket or other Rampart packages.
func TestDeps(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := map[string]string{
		"github.com/99designs/gqlgen":    "ratelimit is below the GraphQL layer",
		"github.com/vektah/gqlparser":    "ratelimit is below the GraphQL layer",
		"github.com/coder/websocket":     "ratelimit knows nothing of WebSockets",
		"github.com/rampart-go/rampart/": "ratelimit is a leaf: no other Rampart package (internal/redisx, its shared go-redis call helper, excepted)",
		"github.com/go-redis/redis_rate": "GCRA is implemented here, in one Lua script",
	}
	seen := 0
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/rampart-go/rampart/internal/redisx" {
			continue
		}
		if pkg == "github.com/rampart-go/rampart/ratelimit" {
			seen++
			continue
		}
		for prefix, why := range forbidden {
			if strings.HasPrefix(pkg, prefix) {
				t.Errorf("ratelimit imports %s: %s", pkg, why)
			}
		}
	}
	if seen != 1 {
		t.Fatalf("go list output does not list the package itself:\n%s", out)
	}
}
