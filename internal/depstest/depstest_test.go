package depstest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

func TestDepsListsWhatAPackageImports(t *testing.T) {
	t.Parallel()
	deps := depstest.Deps(t, "github.com/rampart-go/rampart/reqctx")
	if !slices.Contains(deps, "context") || slices.Contains(deps, "github.com/rampart-go/rampart/reqctx") {
		t.Fatalf("deps of reqctx: %v", deps)
	}
	if !depstest.IsStd("net/http") || depstest.IsStd("github.com/x/y") {
		t.Fatal("IsStd")
	}
}

// recorder catches the checks' failures instead of failing the test.
type recorder struct {
	testing.TB
	errors int
	msgs   []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors++
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func TestAllowOnlyCatchesAnImport(t *testing.T) {
	t.Parallel()
	r := &recorder{TB: t}
	// auth/jwt links golang-jwt: an allow-list without it must complain.
	depstest.AllowOnly(r, "github.com/rampart-go/rampart/auth/jwt", "test", "github.com/rampart-go/rampart", "github.com/rampart-go/rampart/auth", "github.com/rampart-go/rampart/internal/")
	if r.errors == 0 {
		t.Fatal("AllowOnly let golang-jwt through")
	}
	r = &recorder{TB: t}
	depstest.AllowOnly(r, "github.com/rampart-go/rampart/auth/jwt", "test", "github.com/rampart-go/rampart", "github.com/rampart-go/rampart/auth", "github.com/rampart-go/rampart/internal/", "github.com/golang-jwt/jwt/")
	if r.errors != 0 {
		t.Fatalf("AllowOnly refused an allowed import (%d errors)", r.errors)
	}
}

const jwtPkg = "github.com/rampart-go/rampart/auth/jwt"

func TestForbidCatchesAnImport(t *testing.T) {
	t.Parallel()
	// auth/jwt links golang-jwt/jwt/v5 (below the key) and net/http (a
	// standard-library key, with net/http/httptrace and others below it).
	r := &recorder{TB: t}
	deps := depstest.Forbid(r, jwtPkg, map[string]string{"github.com/golang-jwt/jwt": "no JWTs here", "net/http": "no HTTP here"})
	want := jwtPkg + " imports github.com/golang-jwt/jwt/v5: no JWTs here"
	if !slices.Contains(r.msgs, want) {
		t.Errorf("Forbid let golang-jwt through; failures: %q", r.msgs)
	}
	for _, p := range []string{"net/http", "net/http/httptrace"} {
		if !slices.Contains(r.msgs, jwtPkg+" imports "+p+": no HTTP here") {
			t.Errorf("Forbid let %s through; failures: %q", p, r.msgs)
		}
	}
	for _, m := range r.msgs {
		if !strings.Contains(m, "golang-jwt") && !strings.Contains(m, " imports net/http") {
			t.Errorf("Forbid reported a dependency no key covers: %q", m)
		}
	}
	if !slices.Contains(deps, "github.com/golang-jwt/jwt/v5") || slices.Contains(deps, jwtPkg) {
		t.Errorf("Forbid returned %v, not what Deps lists", deps)
	}

	// A key ending in "/" covers the packages below it.
	r = &recorder{TB: t}
	depstest.Forbid(r, jwtPkg, map[string]string{"github.com/golang-jwt/": "no JWTs here"})
	if r.errors != 1 {
		t.Errorf("key with a trailing slash: %d failures %q, want 1", r.errors, r.msgs)
	}

	// An exception is not reported, the rest under the same key is.
	r = &recorder{TB: t}
	depstest.Forbid(r, jwtPkg, map[string]string{"github.com/rampart-go/rampart/": "leaf"}, "github.com/rampart-go/rampart/internal/logthrottle")
	if want := []string{jwtPkg + " imports github.com/rampart-go/rampart/auth: leaf"}; !slices.Equal(r.msgs, want) {
		t.Errorf("Forbid with an exception: %q, want %q", r.msgs, want)
	}
}

func TestForbidMatchesWholePathElements(t *testing.T) {
	t.Parallel()
	r := &recorder{TB: t}
	// Prefixes of golang-jwt's path that stop inside a path element, and
	// paths auth/jwt does not link at all.
	depstest.Forbid(r, jwtPkg, map[string]string{
		"github.com/golang-jwt/jw":    "half an element",
		"github.com/golang-jwt/jwt/v": "half an element",
		"net/htt":                     "half an element",
		"github.com/redis/go-redis":   "not linked",
	})
	if r.errors != 0 {
		t.Errorf("Forbid reported %q", r.msgs)
	}
}

func TestLinks(t *testing.T) {
	t.Parallel()
	deps := depstest.Deps(t, jwtPkg)
	r := &recorder{TB: t}
	depstest.Links(r, jwtPkg, deps, "github.com/golang-jwt/jwt/v5", "github.com/rampart-go/rampart/auth", "net/http")
	if r.errors != 0 {
		t.Errorf("Links refused packages auth/jwt links: %q", r.msgs)
	}
	r = &recorder{TB: t}
	// Not the path of a package (golang-jwt's is .../v5), nor linked.
	depstest.Links(r, jwtPkg, deps, "github.com/golang-jwt/jwt", "github.com/redis/go-redis/v9", "github.com/rampart-go/rampart/auth")
	if r.errors != 2 || !strings.Contains(r.msgs[0], "github.com/golang-jwt/jwt: the check itself may be broken") {
		t.Errorf("Links: %q, want two failures", r.msgs)
	}
}
