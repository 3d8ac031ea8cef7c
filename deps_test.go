package rampart_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/rampart-go/rampart"

// listDeps returns, for each package matched by pattern (and its
// dependencies), the packages it imports directly, test files excluded.
func listDeps(t *testing.T, pattern string) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", pattern).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	imports := make(map[string][]string)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		imports[f[0]] = f[1:]
	}
	if len(imports) < 20 {
		t.Fatalf("implausibly short dependency list: %v", imports)
	}
	return imports
}

// isStd reports whether pkg is in the standard library (its first path
// element has no dot).
func isStd(pkg string) bool { return !strings.Contains(strings.SplitN(pkg, "/", 2)[0], ".") }

// TestDeps keeps the shared homes at the bottom of the import graph: the
// root package (ErrConfig, Unlimited, the shared codes) and the small
// runtime helpers every package may import use the standard library only,
// so that importing them can never create a cycle or drag a dependency in.
func TestDeps(t *testing.T) {
	t.Parallel()
	imports := listDeps(t, module+"/...")
	for _, leaf := range []string{module, module + "/reqctx", module + "/internal/expiring", module + "/internal/jsonerror", module + "/internal/logthrottle", module + "/internal/textctl"} {
		imps, ok := imports[leaf]
		if !ok {
			t.Errorf("go list does not list %s: the check itself is broken", leaf)
		}
		for _, imp := range imps {
			if !isStd(imp) {
				t.Errorf("%s imports %s: it must import only the standard library", leaf, imp)
			}
		}
	}
}

// TestTestHelpersStayInTests keeps the test-only helpers of internal/ (see
// internal/README.md), and the exported auth/refresh/refreshtest, out of
// every library and demo binary: only _test.go files, and the helpers
// themselves, may import them.
func TestTestHelpersStayInTests(t *testing.T) {
	t.Parallel()
	testOnly := []string{module + "/internal/depstest", module + "/internal/golden", module + "/internal/gqltest", module + "/internal/redistest", module + "/internal/loadgen", module + "/internal/oteltest", module + "/ratelimit/internal/conformance", module + "/auth/refresh/refreshtest"}
	under := func(pkg, prefix string) bool { return pkg == prefix || strings.HasPrefix(pkg, prefix+"/") }
	imports := listDeps(t, module+"/...")
	for pkg, imps := range imports {
		if under(pkg, module+"/internal") {
			continue // the helpers, and the benchreport command, may use each other
		}
		for _, imp := range imps {
			for _, h := range testOnly {
				if under(imp, h) {
					t.Errorf("%s imports the test-only helper %s outside a _test.go file", pkg, imp)
				}
			}
		}
	}
}

// TestOpenTelemetryAPIOnly keeps the OpenTelemetry SDK, its exporters and
// its global providers out of every library package: a library takes a
// metric.MeterProvider and trace.TracerProvider in its options (through
// package telemetry) and never reads or sets the globals. Only the demo,
// an application, wires the SDK and the Prometheus exporter.
func TestOpenTelemetryAPIOnly(t *testing.T) {
	t.Parallel()
	imports := listDeps(t, module+"/...")
	for pkg, imps := range imports {
		if !strings.HasPrefix(pkg, module) || strings.HasPrefix(pkg, module+"/demo") || pkg == module+"/internal/oteltest" {
			continue // the demo is an application; oteltest is test-only (TestTestHelpersStayInTests)
		}
		for _, imp := range imps {
			switch {
			case imp == "go.opentelemetry.io/otel" || strings.HasPrefix(imp, "go.opentelemetry.io/otel/internal/global"):
				t.Errorf("%s imports %s: the OpenTelemetry globals are never read or set by a library package", pkg, imp)
			case strings.HasPrefix(imp, "go.opentelemetry.io/otel/sdk") || strings.HasPrefix(imp, "go.opentelemetry.io/otel/exporters") ||
				strings.HasPrefix(imp, "github.com/prometheus/"):
				t.Errorf("%s imports %s: only the demo links the OpenTelemetry SDK and exporters", pkg, imp)
			case strings.HasPrefix(imp, "go.opentelemetry.io/") && imp != module+"/telemetry" && pkg != module+"/telemetry" &&
				!strings.HasPrefix(imp, "go.opentelemetry.io/otel/metric") && !strings.HasPrefix(imp, "go.opentelemetry.io/otel/trace") &&
				!strings.HasPrefix(imp, "go.opentelemetry.io/otel/attribute"):
				t.Errorf("%s imports %s: library packages use only the metric and trace APIs", pkg, imp)
			}
		}
	}
}
