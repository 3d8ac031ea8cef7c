package gqlsec

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/complexity"
	"github.com/rampart-go/rampart/internal/logthrottle"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/reqctx"
	"github.com/rampart-go/rampart/telemetry"
)

// DefaultMaxCost is the default cost limit of one operation.
const DefaultMaxCost = 5000

const costKey = "RampartCost"

// CostLimit is a gqlgen extension that refuses operations whose cost,
// under the cost directive model of package complexity, exceeds Max, before
// gqlgen validates them. With a Budget it also debits each operation's cost
// from a per-caller token bucket (GitHub and Shopify style) after
// validation and refuses with THROTTLED (HTTP 429 through Middleware) when
// the caller's budget is spent.
type CostLimit struct {
	// Max is the largest cost allowed for one operation. Zero means
	// DefaultMaxCost (5000); rampart.Unlimited turns the check off. Code
	// COST_LIMIT_EXCEEDED.
	Max int
	// Budget, if set, is debited by each operation's cost under BudgetRate,
	// keyed by BudgetKey. Backend errors refuse the operation (fail closed,
	// code THROTTLED) and are logged.
	Budget ratelimit.Limiter
	// BudgetRate is the budget's refill rate and capacity, in cost points.
	// Required (Limit > 0, Period > 0) when Budget is set.
	BudgetRate ratelimit.Rate
	// BudgetKey names the bucket of a request. Nil means "cost:sub:<subject>"
	// for authenticated callers and "cost:ip:<client IP>" for anonymous ones
	// (all anonymous callers without a client IP share "cost:anonymous").
	BudgetKey func(ctx context.Context) string
	// ReportCost adds extensions.cost to every response:
	// {requestedQueryCost, maximumAvailable} and, with a Budget,
	// throttleStatus {maximumAvailable, currentlyAvailable, restoreRate}.
	// It is also on whenever Budget is set, since clients need it to pace
	// themselves.
	ReportCost bool
	// ActualCost, after a query or mutation has run, computes its actual
	// cost under the same model (complexity.Meter: the list sizes the
	// resolvers returned instead of the estimates), reports it as
	// extensions.cost.actualQueryCost, and, when Budget implements
	// ratelimit.Refunder (ratelimit.Memory and redisrl.Limiter do),
	// refunds the points charged beyond it (extensions.cost
	// .refundedQueryCost; throttleStatus shows the budget after the
	// refund). It is measured by wrapping the operation's field
	// middleware (graphql.OperationContext.ResolverMiddleware) when the
	// operation starts, outside every field interceptor: no interceptor is
	// added to the server, and operations that are not measured pay
	// nothing per field. Every field instance the executor resolves
	// counts, one refused by a directive or whose resolver failed
	// included. Subscriptions are charged their estimate and never
	// refunded.
	ActualCost bool
	// Mode is the per-operation limit's mode: the zero value
	// rampart.Enforce refuses; rampart.Measure counts and logs (with the
	// request id) COST_LIMIT_EXCEEDED and lets the operation run;
	// rampart.Off skips the check (the cost is still measured and
	// reported).
	Mode rampart.Mode
	// BudgetMode is the budget's mode: rampart.Enforce refuses with
	// THROTTLED; rampart.Measure charges the budget when it can and lets an
	// operation over budget run, counted and logged; rampart.Off leaves
	// the budget alone.
	BudgetMode rampart.Mode
	// BudgetClass names the caller class of a request in the
	// rampart.budget.remaining gauge (keep the set small: it is a metric
	// attribute). Nil means "authenticated" or "anonymous".
	BudgetClass func(ctx context.Context) string
	// Telemetry counts rejections (guards telemetry.GuardCost and
	// GuardBudget), records estimated and actual costs, the budget left
	// and refunds, and opens a span per evaluation. Nil records nothing.
	Telemetry *telemetry.Instruments

	// Logger receives one audit record per rejection. Nil discards them.
	// While the Budget's backend fails, its ERROR line ("cost budget
	// unavailable") is written at most once a second, with the number of
	// lines suppressed since the previous one.
	Logger *slog.Logger
	// Now is the clock of that once-a-second throttle. Nil means time.Now.
	Now func() time.Time
	// ConcealLimits, if set, hides extensions.limit and extensions.observed
	// from the callers for whom it returns true. Nil shows them.
	ConcealLimits func(*auth.Principal) bool
	// Analysis tunes the cost model (default list size).
	Analysis complexity.Options

	analyzer *complexity.Analyzer
	// outage throttles the "cost budget unavailable" line (set by Validate).
	outage *logthrottle.Throttle
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = (*CostLimit)(nil)

// CostStats is what CostLimit recorded for one operation; see
// CostStatsFrom.
type CostStats struct {
	// RequestedQueryCost is the operation's computed cost.
	RequestedQueryCost int64 `json:"requestedQueryCost"`
	// MaximumAvailable is the per-operation limit (0 when unlimited).
	MaximumAvailable int64 `json:"maximumAvailable"`
	// ActualQueryCost is the cost of what the operation delivered, when
	// CostLimit.ActualCost is set (see complexity.Meter).
	ActualQueryCost *int64 `json:"actualQueryCost,omitempty"`
	// RefundedQueryCost is how many points were given back to the budget
	// after execution: RequestedQueryCost − ActualQueryCost when positive.
	RefundedQueryCost int64 `json:"refundedQueryCost,omitempty"`
	// ThrottleStatus is the caller's budget after this operation, when a
	// Budget is configured.
	ThrottleStatus *ThrottleStatus `json:"throttleStatus,omitempty"`

	meter   *complexity.Meter // set when the actual cost is measured
	charged int64             // points debited from the budget
	key     string            // the budget's key
	settled bool              // actual cost computed (once per operation)
}

// ThrottleStatus describes a caller's cost budget.
type ThrottleStatus struct {
	MaximumAvailable   int64   `json:"maximumAvailable"`
	CurrentlyAvailable int64   `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"` // points per second
}

// CostStatsFrom returns the cost CostLimit recorded for the operation in
// ctx, or nil.
func CostStatsFrom(ctx context.Context) *CostStats {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	s, _ := graphql.GetOperationContext(ctx).Stats.GetExtension(costKey).(*CostStats)
	return s
}

// ExtensionName implements graphql.HandlerExtension.
func (c *CostLimit) ExtensionName() string { return "RampartCostLimit" }

// Validate implements graphql.HandlerExtension.
func (c *CostLimit) Validate(es graphql.ExecutableSchema) error {
	if c.Max < rampart.Unlimited {
		return fmt.Errorf("%w: gqlsec: CostLimit.Max = %d (use rampart.Unlimited to turn it off)", rampart.ErrConfig, c.Max)
	}
	if !c.Mode.Valid() || !c.BudgetMode.Valid() {
		return fmt.Errorf("%w: gqlsec: CostLimit.Mode = %v, BudgetMode = %v", rampart.ErrConfig, c.Mode, c.BudgetMode)
	}
	if c.Budget != nil && (c.BudgetRate.Limit <= 0 || c.BudgetRate.Period <= 0 || c.BudgetRate.Burst < 0) {
		return fmt.Errorf("%w: gqlsec: CostLimit.BudgetRate must have Limit > 0 and Period > 0 when Budget is set", rampart.ErrConfig)
	}
	if c.outage == nil {
		c.outage = &logthrottle.Throttle{Now: c.Now}
	}
	if c.analyzer == nil {
		a, err := complexity.NewAnalyzer(es.Schema(), c.Analysis)
		if err != nil {
			return fmt.Errorf("gqlsec: %w", err)
		}
		c.analyzer = a
	}
	return nil
}

func (c *CostLimit) max() int64 { return pick(c.Max, DefaultMaxCost) }

// MutateOperationParameters implements graphql.OperationParameterMutator:
// the per-operation limit is checked before gqlgen validates.
func (c *CostLimit) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if params.Query == "" {
		return nil
	}
	ctx, span := c.Telemetry.Start(ctx, telemetry.GuardCost)
	defer span.End()
	an := analyse(ctx, c.analyzer, params, DefaultTokens, nil)
	if !an.measured() {
		return nil
	}
	cost := an.report.Cost
	if an.err != nil { // too deep to measure: as costly as can be
		cost = complexity.MaxCount
	}
	c.Telemetry.Operation(ctx, cost, -1, -1, -1)
	stats := &CostStats{RequestedQueryCost: cost, MaximumAvailable: c.max()}
	if graphql.HasOperationContext(ctx) {
		graphql.GetOperationContext(ctx).Stats.SetExtension(costKey, stats)
	}
	if max := c.max(); max > 0 && cost > max && c.Mode != rampart.Off {
		aud := auditor{logger: c.Logger, conceal: c.ConcealLimits, ins: c.Telemetry, guard: telemetry.GuardCost, mode: c.Mode}
		return aud.reject(ctx, params.OperationName, rejection{
			code: CodeCostLimit, message: "operation exceeds the cost limit",
			detail: fmt.Sprintf("operation cost %d exceeds the limit of %d", cost, max),
			limit:  max, observed: cost, hasFigures: true,
		})
	}
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator: the
// budget is debited once the operation has passed validation.
func (c *CostLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	stats, _ := opCtx.Stats.GetExtension(costKey).(*CostStats)
	if stats == nil {
		return nil
	}
	if c.ActualCost && opCtx.Operation != nil && opCtx.Operation.Operation != ast.Subscription && opCtx.ResolverMiddleware != nil {
		stats.meter = c.analyzer.NewMeter(opCtx.Variables)
		opCtx.ResolverMiddleware = meterFields(opCtx.ResolverMiddleware, stats.meter)
	}
	if c.Budget == nil || c.BudgetMode == rampart.Off {
		return nil
	}
	ctx, span := c.Telemetry.Start(ctx, telemetry.GuardBudget)
	defer span.End()
	key := c.budgetKey(ctx)
	n := int(min(stats.RequestedQueryCost, int64(1)<<31-1))
	d, err := c.Budget.Allow(ctx, key, c.BudgetRate, n)
	if err == nil && d.Allowed {
		stats.charged, stats.key = int64(n), key
	}
	c.Telemetry.BudgetRemaining(ctx, c.budgetClass(ctx), int64(max(d.Remaining, 0)))
	burst := c.BudgetRate.Burst
	if burst == 0 {
		burst = c.BudgetRate.Limit
	}
	stats.ThrottleStatus = &ThrottleStatus{
		MaximumAvailable:   int64(burst),
		CurrentlyAvailable: int64(max(d.Remaining, 0)),
		RestoreRate:        float64(c.BudgetRate.Limit) / c.BudgetRate.Period.Seconds(),
	}
	aud := auditor{logger: c.Logger, conceal: c.ConcealLimits, ins: c.Telemetry, guard: telemetry.GuardBudget, mode: c.BudgetMode}
	if err != nil {
		if c.Logger != nil {
			if suppressed, ok := c.outage.Allow(); ok {
				c.Logger.LogAttrs(ctx, slog.LevelError, "cost budget unavailable", slog.String("error", err.Error()),
					slog.Int("suppressed", suppressed), slog.String("request_id", reqctx.RequestID(ctx)))
			}
		}
		return aud.reject(ctx, opCtx.OperationName, rejection{
			code: CodeThrottled, message: "cost budget unavailable, try again later",
			detail: "cost budget unavailable, try again later", retryAfter: time.Second,
		})
	}
	if !d.Allowed {
		return aud.reject(ctx, opCtx.OperationName, rejection{
			code: CodeThrottled, message: "cost budget exhausted",
			detail: fmt.Sprintf("operation cost %d exceeds the %d points available", stats.RequestedQueryCost, d.Remaining),
			limit:  int64(d.Remaining), observed: stats.RequestedQueryCost, hasFigures: true,
			retryAfter: max(d.RetryAfter, time.Second),
		})
	}
	return nil
}

func (c *CostLimit) budgetKey(ctx context.Context) string {
	if c.BudgetKey != nil {
		return c.BudgetKey(ctx)
	}
	if p, ok := auth.PrincipalFrom(ctx); ok {
		return "cost:sub:" + p.Subject
	}
	if ip, ok := reqctx.ClientIP(ctx); ok {
		return "cost:ip:" + ip.String()
	}
	return "cost:anonymous"
}

func (c *CostLimit) budgetClass(ctx context.Context) string {
	if c.BudgetClass != nil {
		return c.BudgetClass(ctx)
	}
	if _, ok := auth.PrincipalFrom(ctx); ok {
		return "authenticated"
	}
	return "anonymous"
}

// InterceptResponse implements graphql.ResponseInterceptor: it adds
// extensions.cost when configured and, with ActualCost, measures the
// operation's actual cost while it runs and settles the budget after.
func (c *CostLimit) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	s := CostStatsFrom(ctx)
	if s == nil {
		return next(ctx)
	}
	if c.ReportCost || c.Budget != nil || c.ActualCost {
		graphql.RegisterExtension(ctx, "cost", s)
	}
	if s.meter == nil || s.settled {
		return next(ctx)
	}
	resp := next(ctx)
	s.settled = true
	c.settle(ctx, s)
	return resp
}

// settle records the actual cost and refunds the budget the difference.
func (c *CostLimit) settle(ctx context.Context, s *CostStats) {
	actual := s.meter.Cost()
	s.ActualQueryCost = &actual
	c.Telemetry.ActualCost(ctx, actual)
	refund := s.charged - actual
	r, ok := c.Budget.(ratelimit.Refunder)
	if refund <= 0 || !ok || s.key == "" {
		return
	}
	d, err := r.Refund(ctx, s.key, c.BudgetRate, int(refund))
	if err != nil {
		if c.Logger != nil {
			c.Logger.LogAttrs(ctx, slog.LevelWarn, "cost budget refund failed", slog.String("error", err.Error()),
				slog.String("request_id", reqctx.RequestID(ctx)))
		}
		return
	}
	s.RefundedQueryCost = refund
	if s.ThrottleStatus != nil {
		s.ThrottleStatus.CurrentlyAvailable = int64(max(d.Remaining, 0))
	}
	class := c.budgetClass(ctx)
	c.Telemetry.BudgetRefunded(ctx, class, refund)
	c.Telemetry.BudgetRemaining(ctx, class, int64(max(d.Remaining, 0)))
}

// meterFields returns the field middleware of a measured operation: next
// (the server's field interceptors, then the resolver), then one
// m.Resolved for the field. It is the operation's own middleware, set by
// MutateOperationContext, so the meter is at hand without a context lookup
// and gqlgen allocates no interceptor closure per field.
func meterFields(next graphql.FieldMiddleware, m *complexity.Meter) graphql.FieldMiddleware {
	return func(ctx context.Context, resolve graphql.Resolver) (any, error) {
		res, err := next(ctx, resolve)
		if fc := graphql.GetFieldContext(ctx); fc != nil {
			m.Resolved(fc.Field.Field, res)
		}
		return res, err
	}
}

// FieldMeter returns an extension that does nothing: CostLimit measures
// the actual cost itself (see ActualCost). It is kept so that servers that
// added it (srv.Use(c.FieldMeter())) still build.
//
// Deprecated: CostLimit with ActualCost needs no other extension.
func (c *CostLimit) FieldMeter() graphql.HandlerExtension { return fieldMeter{} }

type fieldMeter struct{}

var _ graphql.OperationContextMutator = fieldMeter{}

// ExtensionName implements graphql.HandlerExtension.
func (fieldMeter) ExtensionName() string { return "RampartActualCost" }

// Validate implements graphql.HandlerExtension.
func (fieldMeter) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator (gqlgen
// accepts no extension without a hook); it does nothing.
func (fieldMeter) MutateOperationContext(context.Context, *graphql.OperationContext) *gqlerror.Error {
	return nil
}
