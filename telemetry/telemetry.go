// Package telemetry owns Rampart's OpenTelemetry instruments: every metric
// name, attribute key and span name is defined here once, and every guard
// records through an *Instruments passed in its options.
//
// The package imports only the OpenTelemetry API (go.opentelemetry.io/otel/
// metric, trace, attribute, codes): never the SDK, an exporter or the
// global providers. The application builds the providers (the demo wires
// the SDK and a Prometheus exporter) and hands them to New. A nil
// *Instruments is valid everywhere and records nothing: each method then
// returns after one nil check, so an uninstrumented server pays nothing.
package telemetry

import (
	"context"
	"fmt"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/rampart-go/rampart"
)

// ScopeName is the instrumentation scope of every meter and tracer.
const ScopeName = "github.com/rampart-go/rampart"

// Metric names. A Prometheus exporter turns dots into underscores and adds
// _total to counters and a unit suffix where there is one
// (rampart.rejections becomes rampart_rejections_total).
const (
	// MetricRejections counts requests, operations, fields and messages a
	// guard refused (outcome "rejected") or would have refused (outcome
	// "measured"), by guard and code.
	MetricRejections = "rampart.rejections"
	// MetricOperationCost is the histogram of operation costs, estimated
	// before execution and actual after it (attribute rampart.cost.kind).
	MetricOperationCost = "rampart.operation.cost"
	// MetricOperationDepth is the histogram of operation depths.
	MetricOperationDepth = "rampart.operation.depth"
	// MetricOperationFields is the histogram of field selections per
	// operation (after fragment expansion).
	MetricOperationFields = "rampart.operation.fields"
	// MetricOperationTokens is the histogram of document sizes in parser
	// tokens.
	MetricOperationTokens = "rampart.operation.tokens"
	// MetricRateLimitDecisions counts rate-limit decisions by guard,
	// decision (allowed, refused, error) and backend.
	MetricRateLimitDecisions = "rampart.ratelimit.decisions"
	// MetricBudgetRemaining is the last known cost budget of a caller
	// class, in points (a gauge).
	MetricBudgetRemaining = "rampart.budget.remaining"
	// MetricBudgetRefunded counts cost points given back to budgets when an
	// operation's actual cost was below its estimate.
	MetricBudgetRefunded = "rampart.budget.refunded"
	// MetricWSConnections is the number of open WebSocket connections.
	MetricWSConnections = "rampart.ws.connections"
	// MetricWSSubscriptions is the number of active GraphQL subscriptions
	// over WebSockets.
	MetricWSSubscriptions = "rampart.ws.subscriptions"
	// MetricWSCloses counts WebSocket closes sent by the server, by close
	// code.
	MetricWSCloses = "rampart.ws.closes"
)

// Attribute keys.
const (
	// AttrGuard names the guard: the component that decided (one of the
	// Guard… constants); AttrCode says which of its checks fired.
	AttrGuard = attribute.Key("rampart.guard")
	// AttrCode is the stable extensions.code of the refusal.
	AttrCode = attribute.Key("rampart.code")
	// AttrOutcome is "rejected" (enforced) or "measured" (would have been
	// refused; let through), see rampart.Mode.Outcome.
	AttrOutcome = attribute.Key("rampart.outcome")
	// AttrCostKind is "estimated" or "actual".
	AttrCostKind = attribute.Key("rampart.cost.kind")
	// AttrDecision is "allowed", "refused" or "error".
	AttrDecision = attribute.Key("rampart.decision")
	// AttrBackend is the limiter's backend: "memory", "redis" or "custom".
	AttrBackend = attribute.Key("rampart.backend")
	// AttrCallerClass is the caller class of a budget ("anonymous",
	// "authenticated", or what the application's classifier returns).
	AttrCallerClass = attribute.Key("rampart.caller.class")
	// AttrCloseCode is a WebSocket close code.
	AttrCloseCode = attribute.Key("rampart.ws.close_code")
)

// Guard names, the values of AttrGuard. One per component that refuses.
const (
	GuardRequest          = "gqlsec.request"           // strict request decoding, batching
	GuardLimits           = "gqlsec.limits"            // structural operation limits
	GuardCost             = "gqlsec.cost"              // per-operation cost limit
	GuardBudget           = "gqlsec.budget"            // per-caller cost budget
	GuardIntrospection    = "gqlsec.introspection"     // introspection lockdown
	GuardTrustedDocuments = "gqlsec.trusted_documents" // persisted-query allowlist
	GuardCSRF             = "httpsec.csrf"
	GuardBodyLimit        = "httpsec.body_limit"
	GuardRateLimit        = "httpsec.rate_limit"
	GuardTLS              = "httpsec.tls"
	GuardDirectives       = "directives"            // @auth, @owner, @constraint, @stepUp
	GuardFieldRateLimit   = "directives.rate_limit" // @rateLimit
	GuardWebSocket        = "wssec"                 // plain-WebSocket limits and closes
	GuardGraphQLWS        = "gqlws"                 // graphql-transport-ws protocol
)

// Decisions, the values of AttrDecision.
const (
	DecisionAllowed = "allowed"
	DecisionRefused = "refused"
	DecisionError   = "error"
)

// Options configures New. The zero value records nothing.
type Options struct {
	// MeterProvider supplies the meter. Nil means no metrics.
	MeterProvider metric.MeterProvider
	// TracerProvider supplies the tracer of the guard spans. Nil means no
	// spans.
	TracerProvider trace.TracerProvider
}

// Instruments is the set of Rampart's instruments. Build it once with New
// and pass it to every guard's options; it is safe for concurrent use. A
// nil *Instruments records nothing.
type Instruments struct {
	rejections   metric.Int64Counter
	cost         metric.Int64Histogram
	depth        metric.Int64Histogram
	fields       metric.Int64Histogram
	tokens       metric.Int64Histogram
	decisions    metric.Int64Counter
	budget       metric.Int64Gauge
	refunded     metric.Int64Counter
	wsConns      metric.Int64UpDownCounter
	wsSubs       metric.Int64UpDownCounter
	wsCloses     metric.Int64Counter
	tracer       trace.Tracer
	estimatedSet metric.MeasurementOption
	actualSet    metric.MeasurementOption
	// sets caches the attribute sets of rejections and decisions (a
	// bounded number: guards and codes are constants).
	sets sync.Map // setKey -> metric.MeasurementOption
}

type setKey struct{ a, b, c string }

// Histogram bucket boundaries.
var (
	costBuckets  = []float64{1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000}
	depthBuckets = []float64{1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 50}
	countBuckets = []float64{1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000}
	tokenBuckets = []float64{10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 15000, 25000}
)

// New builds the instruments from opts' providers. It returns an error
// (wrapping rampart.ErrConfig) only if the meter refuses an instrument.
// With neither provider set it returns nil, the no-op Instruments.
func New(opts Options) (*Instruments, error) {
	if opts.MeterProvider == nil && opts.TracerProvider == nil {
		return nil, nil
	}
	i := &Instruments{
		estimatedSet: metric.WithAttributeSet(attribute.NewSet(AttrCostKind.String("estimated"))),
		actualSet:    metric.WithAttributeSet(attribute.NewSet(AttrCostKind.String("actual"))),
	}
	if opts.TracerProvider != nil {
		i.tracer = opts.TracerProvider.Tracer(ScopeName)
	}
	if opts.MeterProvider == nil {
		return i, nil
	}
	m := opts.MeterProvider.Meter(ScopeName)
	var errs [11]error
	i.rejections, errs[0] = m.Int64Counter(MetricRejections, metric.WithUnit("{rejection}"),
		metric.WithDescription("Requests, operations, fields and messages a guard refused or, in measure mode, would have refused."))
	i.cost, errs[1] = m.Int64Histogram(MetricOperationCost, metric.WithUnit("{point}"),
		metric.WithDescription("GraphQL operation cost under the cost directive model, estimated before and actual after execution."),
		metric.WithExplicitBucketBoundaries(costBuckets...))
	i.depth, errs[2] = m.Int64Histogram(MetricOperationDepth, metric.WithUnit("{level}"),
		metric.WithDescription("GraphQL operation depth."), metric.WithExplicitBucketBoundaries(depthBuckets...))
	i.fields, errs[3] = m.Int64Histogram(MetricOperationFields, metric.WithUnit("{field}"),
		metric.WithDescription("GraphQL field selections per operation, after fragment expansion."), metric.WithExplicitBucketBoundaries(countBuckets...))
	i.tokens, errs[4] = m.Int64Histogram(MetricOperationTokens, metric.WithUnit("{token}"),
		metric.WithDescription("GraphQL document size in parser tokens."), metric.WithExplicitBucketBoundaries(tokenBuckets...))
	i.decisions, errs[5] = m.Int64Counter(MetricRateLimitDecisions, metric.WithUnit("{decision}"),
		metric.WithDescription("Rate-limit decisions by guard, decision and backend."))
	i.budget, errs[6] = m.Int64Gauge(MetricBudgetRemaining, metric.WithUnit("{point}"),
		metric.WithDescription("Cost points left in the budget of the last caller of each class."))
	i.refunded, errs[7] = m.Int64Counter(MetricBudgetRefunded, metric.WithUnit("{point}"),
		metric.WithDescription("Cost points refunded to budgets after execution (estimate minus actual cost)."))
	i.wsConns, errs[8] = m.Int64UpDownCounter(MetricWSConnections, metric.WithUnit("{connection}"),
		metric.WithDescription("Open WebSocket connections."))
	i.wsSubs, errs[9] = m.Int64UpDownCounter(MetricWSSubscriptions, metric.WithUnit("{subscription}"),
		metric.WithDescription("Active GraphQL subscriptions over WebSockets."))
	i.wsCloses, errs[10] = m.Int64Counter(MetricWSCloses, metric.WithUnit("{close}"),
		metric.WithDescription("WebSocket closes sent by the server, by close code."))
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%w: telemetry: %w", rampart.ErrConfig, err)
		}
	}
	return i, nil
}

// Enabled reports whether i records metrics.
func (i *Instruments) Enabled() bool { return i != nil && i.rejections != nil }

func (i *Instruments) set(k setKey, kv ...attribute.KeyValue) metric.MeasurementOption {
	if o, ok := i.sets.Load(k); ok {
		return o.(metric.MeasurementOption)
	}
	o := metric.WithAttributeSet(attribute.NewSet(kv...))
	i.sets.Store(k, o)
	return o
}

// Reject records that guard refused something with code (under
// rampart.Enforce) or would have (under rampart.Measure). It also adds an
// event to the span in ctx, if one is recording.
func (i *Instruments) Reject(ctx context.Context, guard, code string, mode rampart.Mode) {
	if i == nil {
		return
	}
	outcome := mode.Outcome()
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.AddEvent("rampart.rejection", trace.WithAttributes(AttrGuard.String(guard), AttrCode.String(code), AttrOutcome.String(outcome)))
		if mode == rampart.Enforce {
			span.SetStatus(codes.Error, code)
		}
	}
	if i.rejections == nil {
		return
	}
	i.rejections.Add(ctx, 1, i.set(setKey{guard, code, outcome},
		AttrGuard.String(guard), AttrCode.String(code), AttrOutcome.String(outcome)))
}

// Operation records the measurements of one GraphQL operation before
// execution: its estimated cost, depth, field count and tokens (a
// negative figure is not recorded).
func (i *Instruments) Operation(ctx context.Context, cost, depth, fields, tokens int64) {
	if i == nil || i.cost == nil {
		return
	}
	if cost >= 0 {
		i.cost.Record(ctx, cost, i.estimatedSet)
	}
	if depth >= 0 {
		i.depth.Record(ctx, depth)
	}
	if fields >= 0 {
		i.fields.Record(ctx, fields)
	}
	if tokens >= 0 {
		i.tokens.Record(ctx, tokens)
	}
}

// ActualCost records an operation's actual cost, computed after execution.
func (i *Instruments) ActualCost(ctx context.Context, cost int64) {
	if i == nil || i.cost == nil {
		return
	}
	i.cost.Record(ctx, cost, i.actualSet)
}

// RateLimit records one rate-limit decision of guard on backend: one of
// DecisionAllowed, DecisionRefused, DecisionError.
func (i *Instruments) RateLimit(ctx context.Context, guard, backend, decision string) {
	if i == nil || i.decisions == nil {
		return
	}
	i.decisions.Add(ctx, 1, i.set(setKey{"rl:" + guard, backend, decision},
		AttrGuard.String(guard), AttrBackend.String(backend), AttrDecision.String(decision)))
}

// BudgetRemaining records the points left in a budget of caller class.
func (i *Instruments) BudgetRemaining(ctx context.Context, class string, remaining int64) {
	if i == nil || i.budget == nil {
		return
	}
	i.budget.Record(ctx, remaining, i.set(setKey{"budget", class, ""}, AttrCallerClass.String(class)))
}

// BudgetRefunded records points given back to a budget of caller class.
func (i *Instruments) BudgetRefunded(ctx context.Context, class string, points int64) {
	if i == nil || i.refunded == nil || points <= 0 {
		return
	}
	i.refunded.Add(ctx, points, i.set(setKey{"budget", class, ""}, AttrCallerClass.String(class)))
}

// WSConnections adds delta (+1 on accept, -1 on close) to the open
// WebSocket connections of guard (GuardWebSocket or GuardGraphQLWS).
func (i *Instruments) WSConnections(ctx context.Context, guard string, delta int64) {
	if i == nil || i.wsConns == nil {
		return
	}
	i.wsConns.Add(ctx, delta, i.set(setKey{"ws", guard, ""}, AttrGuard.String(guard)))
}

// WSSubscriptions adds delta to the active subscriptions.
func (i *Instruments) WSSubscriptions(ctx context.Context, delta int64) {
	if i == nil || i.wsSubs == nil {
		return
	}
	i.wsSubs.Add(ctx, delta)
}

// WSClose records a close the server sent with code.
func (i *Instruments) WSClose(ctx context.Context, guard string, code int) {
	if i == nil || i.wsCloses == nil {
		return
	}
	i.wsCloses.Add(ctx, 1, i.set(setKey{"close:" + guard, fmt.Sprint(code), ""},
		AttrGuard.String(guard), AttrCloseCode.Int(code)))
}

// noopSpan is returned by Start without a tracer; ending it does nothing.
var noopSpan trace.Span = tracenoop.Span{}

// Start starts the span of one guard evaluation, named "rampart " + guard,
// when a TracerProvider was configured; otherwise it returns ctx and a
// span whose End does nothing. Always call End.
func (i *Instruments) Start(ctx context.Context, guard string) (context.Context, trace.Span) {
	if i == nil || i.tracer == nil {
		return ctx, noopSpan
	}
	return i.tracer.Start(ctx, "rampart "+guard, trace.WithAttributes(AttrGuard.String(guard)))
}
