package depstest_test

import (
	"slices"
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

// recorder catches AllowOnly's failures instead of failing the test.
type recorder struct {
	testing.TB
	errors int
}

func (r *recorder) Errorf(string, ...any) { r.errors++ }

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
