// Package oteltest builds telemetry.Instruments on the OpenTelemetry SDK's
// manual reader, so that a test can read back what a guard recorded. Only
// _test.go files import it (root TestTestHelpersStayInTests).
package oteltest

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/rampart-go/rampart/telemetry"
)

// Reader reads the metrics and spans recorded through its Instruments.
type Reader struct {
	reader *sdkmetric.ManualReader
	Spans  *tracetest.SpanRecorder
}

// New returns instruments backed by the SDK with a manual reader and a span
// recorder.
func New(t testing.TB) (*telemetry.Instruments, *Reader) {
	t.Helper()
	r := &Reader{reader: sdkmetric.NewManualReader(), Spans: tracetest.NewSpanRecorder()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	tp := trace.NewTracerProvider(trace.WithSpanProcessor(r.Spans))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()); _ = tp.Shutdown(context.Background()) })
	ins, err := telemetry.New(telemetry.Options{MeterProvider: mp, TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	return ins, r
}

func (r *Reader) collect(t testing.TB) []metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var out []metricdata.Metrics
	for _, sm := range rm.ScopeMetrics {
		out = append(out, sm.Metrics...)
	}
	return out
}

// matches reports whether set has every key=value of want.
func matches(set attribute.Set, want map[string]string) bool {
	for k, v := range want {
		got, ok := set.Value(attribute.Key(k))
		if !ok || got.Emit() != v {
			return false
		}
	}
	return true
}

// Sum returns the sum of the int64 counter or up-down counter name over the
// data points whose attributes include want (keys like "rampart.code").
func (r *Reader) Sum(t testing.TB, name string, want map[string]string) int64 {
	t.Helper()
	var n int64
	for _, m := range r.collect(t) {
		if m.Name != name {
			continue
		}
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, p := range d.DataPoints {
				if matches(p.Attributes, want) {
					n += p.Value
				}
			}
		case metricdata.Gauge[int64]:
			for _, p := range d.DataPoints {
				if matches(p.Attributes, want) {
					n += p.Value
				}
			}
		default:
			t.Fatalf("%s is a %T, not an int64 sum or gauge", name, m.Data)
		}
	}
	return n
}

// Histogram returns the count and sum of the int64 histogram name over the
// data points whose attributes include want.
func (r *Reader) Histogram(t testing.TB, name string, want map[string]string) (count uint64, sum int64) {
	t.Helper()
	for _, m := range r.collect(t) {
		if m.Name != name {
			continue
		}
		d, ok := m.Data.(metricdata.Histogram[int64])
		if !ok {
			t.Fatalf("%s is a %T, not an int64 histogram", name, m.Data)
		}
		for _, p := range d.DataPoints {
			if matches(p.Attributes, want) {
				count += p.Count
				sum += p.Sum
			}
		}
	}
	return count, sum
}

// Rejections is Sum of telemetry.MetricRejections for guard, code and
// outcome ("rejected" or "measured"); an empty argument matches any.
func (r *Reader) Rejections(t testing.TB, guard, code, outcome string) int64 {
	t.Helper()
	want := map[string]string{}
	for k, v := range map[string]string{"rampart.guard": guard, "rampart.code": code, "rampart.outcome": outcome} {
		if v != "" {
			want[k] = v
		}
	}
	return r.Sum(t, telemetry.MetricRejections, want)
}
