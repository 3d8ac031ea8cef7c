package graph_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedCodeIsFresh regenerates the gqlgen code in a copy of the
// module and fails when it differs from the committed files: edit
// schema.graphqls, run `make generate`, commit both.
func TestGeneratedCodeIsFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("regeneration takes a few seconds; run without -short")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "testdata":
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(tmp, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(tmp, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "tool", "gqlgen", "generate", "--config", "gqlgen.yml")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gqlgen generate: %v\n%s", err, out)
	}
	for _, f := range []string{
		"demo/graph/generated/generated.go",
		"demo/graph/model/models_gen.go",
		"demo/graph/schema.resolvers.go",
	} {
		want, _ := os.ReadFile(filepath.Join(tmp, f))
		got, _ := os.ReadFile(filepath.Join(root, f))
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run `make generate` and commit the result", f)
		}
	}
}
