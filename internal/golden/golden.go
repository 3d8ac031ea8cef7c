// Package golden compares test output with files under testdata/, and
// rewrites them when the test binary runs with -update: the snapshots of
// everything a client sees (error JSON, statuses, headers, close codes).
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update is test-support state: set once by the flag package when the test
// binary starts.
var update = flag.Bool("update", false, "rewrite testdata/*.golden files")

// Update reports whether the test binary runs with -update.
func Update() bool { return *update }

// Check compares got with testdata/<name>.golden (name may contain
// slashes), or writes the file when the test runs with -update.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	File(t, filepath.Join("testdata", name+".golden"), got)
}

// File is Check for an explicit path.
func File(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (review, then run with -update if intended):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
