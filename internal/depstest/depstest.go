// Package depstest is test support for the deps_test.go files that keep
// Rampart's imports one-way: it lists a package's dependencies with
// `go list -deps` and checks them against an allow-list.
package depstest

import (
	"os/exec"
	"strings"
	"testing"
)

// Deps returns every package pkg depends on, pkg itself excluded, test
// files excluded. It fails t when go list fails or does not list pkg (so a
// misspelt path cannot make a check pass vacuously).
func Deps(t testing.TB, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	var deps []string
	seen := false
	for _, p := range strings.Fields(string(out)) {
		if p == pkg {
			seen = true
			continue
		}
		deps = append(deps, p)
	}
	if !seen {
		t.Fatalf("go list -deps does not list %s itself:\n%s", pkg, out)
	}
	return deps
}

// IsStd reports whether pkg is in the standard library (its first path
// element has no dot).
func IsStd(pkg string) bool { return !strings.Contains(strings.SplitN(pkg, "/", 2)[0], ".") }

// AllowOnly fails t for every non-standard package pkg depends on that is
// not in allowed. An entry ending in "/" allows every package below it; any
// other entry allows exactly that package. why is added to each failure.
func AllowOnly(t testing.TB, pkg, why string, allowed ...string) {
	t.Helper()
	for _, dep := range Deps(t, pkg) {
		if IsStd(dep) {
			continue
		}
		ok := false
		for _, a := range allowed {
			if dep == a || strings.HasSuffix(a, "/") && strings.HasPrefix(dep, a) {
				ok = true
				break
			}
		}
		if !ok {
			t.Errorf("%s imports %s: %s", pkg, dep, why)
		}
	}
}
