package golden_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rampart-go/rampart/internal/golden"
)

type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

func TestFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.golden")
	if err := os.WriteFile(path, []byte("same\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ok := &recorder{TB: t}
	golden.File(ok, path, []byte("same\n"))
	bad := &recorder{TB: t}
	golden.File(bad, path, []byte("different\n"))
	if ok.failed || !bad.failed {
		t.Fatalf("equal content failed=%v, different content failed=%v", ok.failed, bad.failed)
	}
}
