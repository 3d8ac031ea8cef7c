package telemetry_test

import (
	"strings"
	"testing"

	"github.com/rampart-go/rampart/internal/depstest"
)

// TestDeps keeps telemetry a leaf of the OpenTelemetry API: it imports the
// metric and trace APIs (and their attribute and codes packages), never the
// SDK, an exporter or the package holding OpenTelemetry's global providers,
// and of the project only the root vocabulary package.
func TestDeps(t *testing.T) {
	t.Parallel()
	const self = "github.com/rampart-go/rampart/telemetry"
	deps := depstest.Deps(t, self)
	depstest.Links(t, self, deps, "go.opentelemetry.io/otel/metric")
	for _, pkg := range deps {
		switch {
		case pkg == "go.opentelemetry.io/otel" || strings.HasPrefix(pkg, "go.opentelemetry.io/otel/internal/global"):
			t.Errorf("telemetry imports %s: OpenTelemetry's global providers are never read or set; providers come in Options", pkg)
		case strings.HasPrefix(pkg, "go.opentelemetry.io/otel/sdk") || strings.HasPrefix(pkg, "go.opentelemetry.io/otel/exporters"):
			t.Errorf("telemetry imports %s: only the application (the demo) links the SDK and exporters", pkg)
		case strings.HasPrefix(pkg, "github.com/rampart-go/rampart/") && pkg != "github.com/rampart-go/rampart/telemetry":
			t.Errorf("telemetry imports %s: it is a leaf (only the root package)", pkg)
		case strings.Contains(strings.SplitN(pkg, "/", 2)[0], ".") && !strings.HasPrefix(pkg, "go.opentelemetry.io/otel/") &&
			!strings.HasPrefix(pkg, "github.com/rampart-go/rampart") && pkg != "github.com/cespare/xxhash/v2":
			t.Errorf("telemetry imports %s: only the OpenTelemetry API is allowed", pkg)
		}
	}
}
