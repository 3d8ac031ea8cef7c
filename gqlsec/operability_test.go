package gqlsec_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/internal/gqltest"
	"github.com/rampart-go/rampart/internal/oteltest"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/telemetry"
)

// deep7 is a benign-looking query seven levels deep.
const deep7 = "{ me { posts(first: 1) { nodes { author { posts(first: 1) { nodes { id } } } } } } }"

func TestEnforcedRejectionIsCountedAndTraced(t *testing.T) {
	t.Parallel()
	ins, r := oteltest.New(t)
	h := newHarness(t, gqlsec.Config{Limits: gqlsec.OperationLimits{Depth: 3}, Telemetry: ins})
	if res := h.query(t, user, deep7); res.code(t) != gqlsec.CodeDepthLimit {
		t.Fatalf("depth 8: %d %s", res.status, res.body)
	}
	if h.es.Resolves() != 0 {
		t.Fatal("a rejected operation reached a resolver")
	}
	if res := h.query(t, user, "{ me { id } }"); res.status != http.StatusOK || res.code(t) != "" {
		t.Fatalf("benign query: %d %s", res.status, res.body)
	}
	if got := r.Rejections(t, telemetry.GuardLimits, gqlsec.CodeDepthLimit, "rejected"); got != 1 {
		t.Errorf("rejected depth = %d, want 1 (the benign query must not count)", got)
	}
	// The attack is refused by the pre-scan before it is parsed, so only
	// the benign operation is measured (the rejection counter has the
	// attack).
	if n, _ := r.Histogram(t, telemetry.MetricOperationDepth, nil); n != 1 {
		t.Errorf("depth histogram count = %d, want 1", n)
	}
	if n, sum := r.Histogram(t, telemetry.MetricOperationTokens, nil); n != 1 || sum == 0 {
		t.Errorf("token histogram = %d/%d, want 1 operation", n, sum)
	}
	var limitSpans int
	for _, s := range r.Spans.Ended() {
		if s.Name() == "rampart "+telemetry.GuardLimits {
			limitSpans++
		}
	}
	if limitSpans != 2 {
		t.Errorf("%d limit spans, want 2", limitSpans)
	}
}

// TestIntrospectionRefusedBeforeParse: the pre-scan finds __schema and
// __type in a first-seen document, so a caller who may not introspect is
// refused before the document is parsed or measured (the operation
// histograms count only measured operations); an admin's introspection and
// a benign query are measured as before.
func TestIntrospectionRefusedBeforeParse(t *testing.T) {
	t.Parallel()
	ins, r := oteltest.New(t)
	h := newHarness(t, gqlsec.Config{Introspection: gqlsec.AllowRoles("ADMIN"), Telemetry: ins})
	for _, q := range []string{
		"{ __schema { queryType { name } } }",
		`{ t: __type(name: "User") { name } }`,
		`query Q { ...F } fragment F on Query { __schema { types { name } } }`,
	} {
		if res := h.query(t, user, q); res.status != http.StatusForbidden || res.code(t) != gqlsec.CodeIntrospection {
			t.Fatalf("%s: %d %s", q, res.status, res.body)
		}
	}
	if n, _ := r.Histogram(t, telemetry.MetricOperationDepth, nil); n != 0 {
		t.Fatalf("%d refused introspection operations were parsed and measured, want 0", n)
	}
	if got := r.Rejections(t, telemetry.GuardIntrospection, gqlsec.CodeIntrospection, "rejected"); got != 3 {
		t.Errorf("rejections = %d, want 3", got)
	}
	if res := h.query(t, admin, "{ __schema { queryType { name } } }"); res.status != http.StatusOK || res.code(t) != "" {
		t.Fatalf("admin: %d %s", res.status, res.body)
	}
	if res := h.query(t, user, `{ me { __typename id } }`); res.status != http.StatusOK || res.code(t) != "" {
		t.Fatalf("benign: %d %s", res.status, res.body)
	}
	if n, _ := r.Histogram(t, telemetry.MetricOperationDepth, nil); n != 2 {
		t.Errorf("depth histogram count = %d, want 2 (the admin's and the benign operation)", n)
	}
}

func TestMeasureModeLetsAttackThroughAndCountsIt(t *testing.T) {
	t.Parallel()
	ins, r := oteltest.New(t)
	h := newHarness(t, gqlsec.Config{
		Limits:    gqlsec.OperationLimits{Depth: 3, Aliases: 1, Modes: map[string]rampart.Mode{"Depth": rampart.Measure}},
		Telemetry: ins,
	})
	res := h.query(t, user, deep7)
	if res.status != http.StatusOK || res.code(t) != "" || res.json(t)["data"] == nil {
		t.Fatalf("measured depth attack: %d %s; want it through", res.status, res.body)
	}
	if h.es.Resolves() == 0 {
		t.Fatal("the measured operation did not run")
	}
	if got := r.Rejections(t, telemetry.GuardLimits, gqlsec.CodeDepthLimit, "measured"); got != 1 {
		t.Errorf("measured depth = %d, want 1", got)
	}
	if got := r.Rejections(t, "", "", "rejected"); got != 0 {
		t.Errorf("rejected = %d, want 0", got)
	}
	log := h.log.String()
	if !strings.Contains(log, "measure mode") || !strings.Contains(log, `"request_id":"req-1"`) || !strings.Contains(log, gqlsec.CodeDepthLimit) {
		t.Errorf("no measure-mode log line with the request id and code: %s", log)
	}
	// Another limit of the same server still enforces.
	if res := h.query(t, user, "{ a: me { id } b: me { id } }"); res.code(t) != gqlsec.CodeAliasLimit {
		t.Fatalf("enforced alias limit: %d %s", res.status, res.body)
	}
	if got := r.Rejections(t, telemetry.GuardLimits, gqlsec.CodeAliasLimit, "rejected"); got != 1 {
		t.Errorf("rejected aliases = %d, want 1", got)
	}
}

func TestMeasureModeEveryGuard(t *testing.T) {
	t.Parallel()
	store, err := gqlsec.NewDocumentStore(map[string]string{gqlsec.Hash("{ me { id } }"): "{ me { id } }"})
	if err != nil {
		t.Fatal(err)
	}
	budget, err := ratelimit.NewMemory(ratelimit.MemoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, guard, code, query string
		cfg                      func(mode rampart.Mode) gqlsec.Config
	}{
		{"tokens", telemetry.GuardLimits, gqlsec.CodeTokenLimit, "{ me { id name email role createdAt } }", func(m rampart.Mode) gqlsec.Config {
			return gqlsec.Config{Limits: gqlsec.OperationLimits{Tokens: 5, Mode: m}}
		}},
		{"document_size", telemetry.GuardLimits, gqlsec.CodeDocumentSize, "{ me { id name email role createdAt } }", func(m rampart.Mode) gqlsec.Config {
			return gqlsec.Config{Limits: gqlsec.OperationLimits{DocumentBytes: 10, Modes: map[string]rampart.Mode{"DocumentBytes": m}}}
		}},
		{"cost", telemetry.GuardCost, gqlsec.CodeCostLimit, "{ posts(first: 10) { nodes { id } } }", func(m rampart.Mode) gqlsec.Config {
			return gqlsec.Config{Cost: gqlsec.CostLimit{Max: 2, Mode: m}}
		}},
		{"budget", telemetry.GuardBudget, gqlsec.CodeThrottled, "{ posts(first: 10) { nodes { id } } }", func(m rampart.Mode) gqlsec.Config {
			return gqlsec.Config{Cost: gqlsec.CostLimit{Budget: budget, BudgetRate: ratelimit.Rate{Limit: 2, Period: time.Hour}, BudgetMode: m,
				BudgetKey: func(context.Context) string { return "budget-" + m.String() }}}
		}},
		{"introspection", telemetry.GuardIntrospection, gqlsec.CodeIntrospection, "{ __schema { queryType { name } } }", func(m rampart.Mode) gqlsec.Config {
			return gqlsec.Config{Introspection: gqlsec.AllowRoles("NOBODY"), IntrospectionMode: m}
		}},
		{"trusted_documents", telemetry.GuardTrustedDocuments, gqlsec.CodePersistedRequired, "{ me { name } }", func(m rampart.Mode) gqlsec.Config {
			return gqlsec.Config{TrustedDocuments: &gqlsec.TrustedDocuments{Store: store, Mode: m}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, mode := range []rampart.Mode{rampart.Enforce, rampart.Measure, rampart.Off} {
				ins, r := oteltest.New(t)
				cfg := tc.cfg(mode)
				cfg.Telemetry = ins
				h := newHarness(t, cfg)
				res := h.query(t, user, tc.query)
				outcome := map[rampart.Mode]string{rampart.Enforce: "rejected", rampart.Measure: "measured"}[mode]
				switch mode {
				case rampart.Enforce:
					if res.code(t) != tc.code || h.es.Resolves() != 0 {
						t.Fatalf("enforce: %d %s, %d resolves; want %s before any resolver", res.status, res.body, h.es.Resolves(), tc.code)
					}
				default:
					if res.code(t) != "" || res.json(t)["data"] == nil || h.es.Resolves() == 0 {
						t.Fatalf("%v: %d %s; want the operation to run", mode, res.status, res.body)
					}
				}
				want := int64(1)
				if mode == rampart.Off {
					want = 0
				}
				if got := r.Rejections(t, tc.guard, tc.code, ""); got != want {
					t.Errorf("%v: %d %s rejections of %s, want %d", mode, got, outcome, tc.code, want)
				}
				if outcome != "" {
					if got := r.Rejections(t, tc.guard, tc.code, outcome); got != 1 {
						t.Errorf("%v: outcome %q counted %d times, want 1", mode, outcome, got)
					}
				}
			}
		})
	}
}

func TestModesValidated(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]gqlsec.Config{
		"unknown_limit": {Limits: gqlsec.OperationLimits{Modes: map[string]rampart.Mode{"Depht": rampart.Measure}}},
		"bad_mode":      {Limits: gqlsec.OperationLimits{Mode: 9}},
		"bad_cost_mode": {Cost: gqlsec.CostLimit{BudgetMode: 7}},
	} {
		if err := gqlsec.Install(newServer(), cfg); !errors.Is(err, rampart.ErrConfig) {
			t.Errorf("%s: err = %v, want rampart.ErrConfig", name, err)
		}
	}
}

func newServer() *handler.Server {
	srv := handler.New(gqltest.New())
	srv.AddTransport(transport.POST{})
	return srv
}

// costExt returns extensions.cost of a response.
func costExt(t *testing.T, res response) map[string]any {
	t.Helper()
	ext, _ := res.json(t)["extensions"].(map[string]any)
	c, _ := ext["cost"].(map[string]any)
	if c == nil {
		t.Fatalf("no extensions.cost: %s", res.body)
	}
	return c
}

func TestActualCostRefundsTheBudget(t *testing.T) {
	t.Parallel()
	clk := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	budget, err := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: func() time.Time { return clk }})
	if err != nil {
		t.Fatal(err)
	}
	ins, r := oteltest.New(t)
	h := newHarness(t, gqlsec.Config{
		Cost:      gqlsec.CostLimit{Budget: budget, BudgetRate: ratelimit.Rate{Limit: 1000, Period: time.Hour}, ActualCost: true},
		Telemetry: ins,
	})
	// Estimated: posts 1 + 10 × (Post 1 + author 1) = 21. The resolvers
	// deliver gqltest.MaxListLen = 3 posts: 1 + 3 × 2 = 7.
	res := h.query(t, user, "{ posts(first: 10) { nodes { id author { name } } } }")
	c := costExt(t, res)
	if c["requestedQueryCost"] != 21.0 || c["actualQueryCost"] != 7.0 || c["refundedQueryCost"] != 14.0 {
		t.Fatalf("extensions.cost = %v; want requested 21, actual 7, refunded 14", c)
	}
	if ts, _ := c["throttleStatus"].(map[string]any); ts["currentlyAvailable"] != 993.0 {
		t.Fatalf("throttleStatus = %v; want 1000 - 7 = 993 available after the refund", ts)
	}
	// The refund is in the limiter, not only in the report.
	if d, _ := budget.Allow(context.Background(), "cost:sub:user-1", ratelimit.Rate{Limit: 1000, Period: time.Hour}, 0); d.Remaining != 993 {
		t.Fatalf("budget holds %d points, want 993", d.Remaining)
	}
	// Lists delivered as estimated: actual = estimate, nothing refunded.
	c = costExt(t, h.query(t, user, "{ posts(first: 3) { nodes { id author { name } } } }"))
	if c["requestedQueryCost"] != 7.0 || c["actualQueryCost"] != 7.0 || c["refundedQueryCost"] != nil {
		t.Fatalf("extensions.cost = %v; want requested = actual = 7, no refund", c)
	}
	if n, sum := r.Histogram(t, telemetry.MetricOperationCost, map[string]string{"rampart.cost.kind": "actual"}); n != 2 || sum != 14 {
		t.Errorf("actual cost histogram = %d/%d, want 2/14", n, sum)
	}
	if got := r.Sum(t, telemetry.MetricBudgetRefunded, map[string]string{"rampart.caller.class": "authenticated"}); got != 14 {
		t.Errorf("refunded = %d, want 14", got)
	}
	if got := r.Sum(t, telemetry.MetricBudgetRemaining, nil); got != 986 {
		t.Errorf("budget gauge = %d, want 986", got)
	}
}

func TestActualCostWithoutBudget(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gqlsec.Config{Cost: gqlsec.CostLimit{ActualCost: true}})
	// users: default list size (no assumedSize) 100 estimated, 3 delivered;
	// email weighs 2.
	c := costExt(t, h.query(t, user, "{ users { nodes { email } } }"))
	if c["requestedQueryCost"] != 301.0 || c["actualQueryCost"] != 10.0 || c["throttleStatus"] != nil {
		t.Fatalf("extensions.cost = %v; want requested 1 + 100 × 3 = 301, actual 1 + 3 × 3 = 10", c)
	}
}
