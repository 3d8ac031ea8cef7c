package telemetry_test

import (
	"context"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/oteltest"
	"github.com/rampart-go/rampart/telemetry"
)

func TestNilInstrumentsRecordNothing(t *testing.T) {
	t.Parallel()
	var ins *telemetry.Instruments
	ctx := context.Background()
	ins.Reject(ctx, telemetry.GuardLimits, "DEPTH_LIMIT_EXCEEDED", rampart.Enforce)
	ins.Operation(ctx, 1, 2, 3, 4)
	ins.ActualCost(ctx, 1)
	ins.RateLimit(ctx, telemetry.GuardRateLimit, "memory", telemetry.DecisionAllowed)
	ins.BudgetRemaining(ctx, "anonymous", 1)
	ins.BudgetRefunded(ctx, "anonymous", 1)
	ins.WSConnections(ctx, telemetry.GuardWebSocket, 1)
	ins.WSSubscriptions(ctx, 1)
	ins.WSClose(ctx, telemetry.GuardWebSocket, 1008)
	c2, span := ins.Start(ctx, telemetry.GuardLimits)
	span.End()
	if c2 != ctx || ins.Enabled() {
		t.Fatal("a nil Instruments must not change the context or claim to be enabled")
	}
	if got, err := telemetry.New(telemetry.Options{}); got != nil || err != nil {
		t.Fatalf("New with no provider = %v, %v; want nil, nil", got, err)
	}
}

func TestRejectCountsByOutcome(t *testing.T) {
	t.Parallel()
	ins, r := oteltest.New(t)
	ctx, span := ins.Start(context.Background(), telemetry.GuardLimits)
	ins.Reject(ctx, telemetry.GuardLimits, "DEPTH_LIMIT_EXCEEDED", rampart.Enforce)
	ins.Reject(ctx, telemetry.GuardLimits, "DEPTH_LIMIT_EXCEEDED", rampart.Measure)
	ins.Reject(ctx, telemetry.GuardLimits, "DEPTH_LIMIT_EXCEEDED", rampart.Measure)
	span.End()
	if got := r.Rejections(t, telemetry.GuardLimits, "DEPTH_LIMIT_EXCEEDED", "rejected"); got != 1 {
		t.Errorf("rejected = %d, want 1", got)
	}
	if got := r.Rejections(t, telemetry.GuardLimits, "DEPTH_LIMIT_EXCEEDED", "measured"); got != 2 {
		t.Errorf("measured = %d, want 2", got)
	}
	if got := r.Rejections(t, telemetry.GuardCost, "", ""); got != 0 {
		t.Errorf("cost rejections = %d, want 0", got)
	}
	spans := r.Spans.Ended()
	if len(spans) != 1 || spans[0].Name() != "rampart gqlsec.limits" || len(spans[0].Events()) != 3 {
		t.Fatalf("spans = %v, want one 'rampart gqlsec.limits' span with 3 events", spans)
	}
	ins.Operation(ctx, 120, 4, 20, -1)
	ins.ActualCost(ctx, 30)
	if n, sum := r.Histogram(t, telemetry.MetricOperationCost, map[string]string{"rampart.cost.kind": "estimated"}); n != 1 || sum != 120 {
		t.Errorf("estimated cost histogram = %d/%d, want 1/120", n, sum)
	}
	if n, sum := r.Histogram(t, telemetry.MetricOperationCost, map[string]string{"rampart.cost.kind": "actual"}); n != 1 || sum != 30 {
		t.Errorf("actual cost histogram = %d/%d, want 1/30", n, sum)
	}
	if n, _ := r.Histogram(t, telemetry.MetricOperationTokens, nil); n != 0 {
		t.Errorf("a negative token count was recorded")
	}
}

func TestModeText(t *testing.T) {
	t.Parallel()
	for _, m := range []rampart.Mode{rampart.Enforce, rampart.Measure, rampart.Off} {
		b, err := m.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back rampart.Mode
		if err := back.UnmarshalText(b); err != nil || back != m {
			t.Errorf("%v round-trips to %v, %v", m, back, err)
		}
	}
	var zero rampart.Mode
	if zero != rampart.Enforce {
		t.Error("the zero Mode must be Enforce")
	}
	if _, err := rampart.ParseMode("audit"); err == nil {
		t.Error("ParseMode accepted an unknown mode")
	}
}
