// Package depstest is test support for the deps_test.go files that keep
// Rampart's imports one-way: it lists a package's dependencies with
// `go list -deps` and checks them against an allow-list (AllowOnly) or a
// list of forbidden paths (Forbid, with Links for the packages that must
// still be linked).
package depstest

import (
	"os/exec"
	"slices"
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

// Forbid fails t for every package pkg depends on (what Deps returns) that a
// key of forbidden covers, with one line per offending dependency: "<pkg>
// imports <dep>: <reason>". A key covers the package it names and every
// package below it ("x" covers "x" and "x/..."; "net/http" covers
// "net/http/httptrace"); a key ending in "/" covers only the packages below
// it. Keys may be standard-library paths. A dependency listed in except is
// never reported, even under a forbidden key: the runtime helpers some
// packages link from under a forbidden internal/ tree, say.
//
// Forbid returns the dependency list, for further checks such as Links.
func Forbid(t testing.TB, pkg string, forbidden map[string]string, except ...string) []string {
	t.Helper()
	deps := Deps(t, pkg)
	keys := make([]string, 0, len(forbidden))
	for k := range forbidden {
		keys = append(keys, k)
	}
	slices.Sort(keys) // one order of failures from run to run
	for _, dep := range deps {
		if slices.Contains(except, dep) {
			continue
		}
		for _, k := range keys {
			if covers(k, dep) {
				t.Errorf("%s imports %s: %s", pkg, dep, forbidden[k])
			}
		}
	}
	return deps
}

// covers reports whether the forbidden key covers dep (see Forbid).
func covers(key, dep string) bool {
	if strings.HasSuffix(key, "/") {
		return strings.HasPrefix(dep, key)
	}
	return dep == key || strings.HasPrefix(dep, key+"/")
}

// Links fails t for each package of want that is not in deps, the list
// Deps or Forbid returned for pkg. It is the other side of a forbidding
// check: a package that must be linked proves the list is the one meant, so
// that a check cannot pass vacuously.
func Links(t testing.TB, pkg string, deps []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(deps, w) {
			t.Errorf("%s does not link %s: the check itself may be broken, or the package no longer links it (update the check)", pkg, w)
		}
	}
}
