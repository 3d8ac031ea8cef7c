package harden_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
)

// TestGqlgenInitProject builds a project laid out as `gqlgen init` leaves
// it, in a temporary directory: its default gqlgen.yml (rendered from
// gqlgen's own template, which maps Int to graphql.Int32),
// graph/schema.graphqls using every Rampart directive, graph/rampart.graphqls
// written by `go run github.com/rampart-go/rampart/cmd/rampart sdl`, the
// resolvers, and a server.go that wires the directives with Bind and serves
// them with harden.Handler. It runs gqlgen generate once, then the
// project's own test (one build), which sends each directive a request it
// refuses and one it lets through. The module uses this repository through
// a replace directive and the module cache (no network when the cache holds
// this repository's dependencies).
func TestGqlgenInitProject(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and builds a gqlgen project; run without -short")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod "+os.Getenv("GOFLAGS"))
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	write := func(name string, b []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFile := func(from, to string) {
		t.Helper()
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		write(to, b)
	}

	// go mod init example.com/todo, requiring this repository.
	write("go.mod", []byte("module example.com/todo\n\ngo 1.26.0\n\n"+
		"require github.com/rampart-go/rampart v0.0.0-00010101000000-000000000000\n\n"+
		"replace github.com/rampart-go/rampart => "+root+"\n"))
	copyFile(filepath.Join(root, "go.sum"), "go.sum")

	// gqlgen init's gqlgen.yml, rendered as gqlgen init renders it.
	gqlgenDir := strings.TrimSpace(run("go", "list", "-m", "-f", "{{.Dir}}", "github.com/99designs/gqlgen"))
	tmpl, err := os.ReadFile(filepath.Join(gqlgenDir, "init-templates", "gqlgen.yml.gotmpl"))
	if err != nil {
		t.Fatal(err)
	}
	var yml bytes.Buffer
	if err := template.Must(template.New("gqlgen.yml").Parse(string(tmpl))).Execute(&yml, "example.com/todo"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(yml.String(), "github.com/99designs/gqlgen/graphql.Int32") {
		t.Fatal("gqlgen init no longer maps Int to graphql.Int32: update this test")
	}
	write("gqlgen.yml", yml.Bytes())
	copyFile("testdata/gqlgeninit/schema.graphqls", "graph/schema.graphqls")
	copyFile("testdata/gqlgeninit/resolver.go.txt", "graph/resolver.go")
	write("graph/model/doc.go", []byte("package model\n")) // gqlgen init's placeholder
	copyFile("testdata/gqlgeninit/server.go.txt", "server.go")
	copyFile("testdata/gqlgeninit/server_test.go.txt", "server_test.go")

	// The one command of the README.
	run("go", "run", "github.com/rampart-go/rampart/cmd/rampart", "sdl", "-o", "graph/rampart.graphqls")
	run("go", "run", "github.com/99designs/gqlgen", "generate")
	copyFile("testdata/gqlgeninit/schema.resolvers.go.txt", "graph/schema.resolvers.go")

	gen, err := os.ReadFile(filepath.Join(dir, "graph", "generated.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sig := range []string{"maxLength *int32", "limit int32", "Cost "} {
		if !bytes.Contains(gen, []byte(sig)) {
			t.Errorf("generated DirectiveRoot lacks %q: the test no longer covers the Int32 mapping or @cost", sig)
		}
	}
	out := run("go", "test", "-count=1", "-v", ".")
	if !strings.Contains(out, "--- PASS: TestDirectives") {
		t.Fatalf("the project's test did not pass:\n%s", out)
	}
	t.Logf("%s", out)
}
