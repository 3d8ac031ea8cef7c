package gqlsec_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/internal/gqltest"
	"github.com/rampart-go/rampart/internal/oteltest"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/telemetry"
)

func benchHandler(b *testing.B, cfg gqlsec.Config) http.Handler {
	b.Helper()
	srv := handler.New(gqltest.New())
	srv.AddTransport(transport.POST{})
	h, err := gqlsec.Handler(srv, cfg)
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func serveBench(b *testing.B, h http.Handler, body string) {
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Body.String())
		}
	}
}

// BenchmarkTelemetryOverhead serves the typical 20-field query through
// Handler with no Telemetry (the default: a nil *telemetry.Instruments),
// with instruments on OpenTelemetry's no-op providers, and on the SDK.
func BenchmarkTelemetryOverhead(b *testing.B) {
	body := mustJSON(map[string]any{"query": gqltest.Typical})
	noop, err := telemetry.New(telemetry.Options{MeterProvider: metricnoop.NewMeterProvider(), TracerProvider: tracenoop.NewTracerProvider()})
	if err != nil {
		b.Fatal(err)
	}
	sdk, _ := oteltest.New(b)
	for _, c := range []struct {
		name string
		ins  *telemetry.Instruments
	}{{"none", nil}, {"noop_providers", noop}, {"sdk", sdk}} {
		b.Run(c.name, func(b *testing.B) { serveBench(b, benchHandler(b, gqlsec.Config{Telemetry: c.ins}), body) })
	}
}

// BenchmarkNilInstrumentsPerRequest is every telemetry call a request
// makes through Handler's guards on a benign operation, on the default nil
// Instruments: the whole price of the instrumentation when it is off.
func BenchmarkNilInstrumentsPerRequest(b *testing.B) {
	var ins *telemetry.Instruments
	ctx := context.Background()
	for b.Loop() {
		for _, g := range [...]string{telemetry.GuardLimits, telemetry.GuardCost, telemetry.GuardBudget} {
			_, span := ins.Start(ctx, g)
			span.End()
		}
		if ins.Enabled() {
			b.Fatal("enabled")
		}
		ins.Operation(ctx, 1, -1, -1, -1)
		ins.BudgetRemaining(ctx, "anonymous", 1)
	}
}

// BenchmarkActualCost serves the typical 20-field query with the cost
// limit alone, then with ActualCost (the operation's field middleware measuring every
// field, the actual cost computed after execution), each without and with
// a budget (ActualCost then refunds the difference).
func BenchmarkActualCost(b *testing.B) {
	body := mustJSON(map[string]any{"query": gqltest.Typical})
	for _, budget := range []bool{false, true} {
		for _, actual := range []bool{false, true} {
			cost := gqlsec.CostLimit{ActualCost: actual, ReportCost: true}
			name := "estimate_only"
			if actual {
				name = "actual_cost"
			}
			if budget {
				l, err := ratelimit.NewMemory(ratelimit.MemoryOptions{})
				if err != nil {
					b.Fatal(err)
				}
				cost.Budget, cost.BudgetRate = l, ratelimit.Rate{Limit: 1 << 30, Period: time.Second}
				name += "_budget"
			}
			b.Run(name, func(b *testing.B) {
				serveBench(b, benchHandler(b, gqlsec.Config{Cost: cost, Limits: gqlsec.OperationLimits{Mode: rampart.Enforce}}), body)
			})
		}
	}
}
