package gqlsec

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/complexity"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/reqctx"
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

	// Logger receives one audit record per rejection. Nil discards them.
	Logger *slog.Logger
	// ConcealLimits, if set, hides extensions.limit and extensions.observed
	// from the callers for whom it returns true. Nil shows them.
	ConcealLimits func(*auth.Principal) bool
	// Analysis tunes the cost model (default list size).
	Analysis complexity.Options

	analyzer *complexity.Analyzer
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
	// ThrottleStatus is the caller's budget after this operation, when a
	// Budget is configured.
	ThrottleStatus *ThrottleStatus `json:"throttleStatus,omitempty"`
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
	if c.Budget != nil && (c.BudgetRate.Limit <= 0 || c.BudgetRate.Period <= 0 || c.BudgetRate.Burst < 0) {
		return fmt.Errorf("%w: gqlsec: CostLimit.BudgetRate must have Limit > 0 and Period > 0 when Budget is set", rampart.ErrConfig)
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
	an := analyse(ctx, c.analyzer, params, DefaultTokens, nil)
	if !an.measured() {
		return nil
	}
	cost := an.report.Cost
	if an.err != nil { // too deep to measure: as costly as can be
		cost = complexity.MaxCount
	}
	stats := &CostStats{RequestedQueryCost: cost, MaximumAvailable: c.max()}
	if graphql.HasOperationContext(ctx) {
		graphql.GetOperationContext(ctx).Stats.SetExtension(costKey, stats)
	}
	if max := c.max(); max > 0 && cost > max {
		aud := auditor{logger: c.Logger, conceal: c.ConcealLimits}
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
	if c.Budget == nil {
		return nil
	}
	stats, _ := opCtx.Stats.GetExtension(costKey).(*CostStats)
	if stats == nil {
		return nil
	}
	key := c.budgetKey(ctx)
	n := int(min(stats.RequestedQueryCost, int64(1)<<31-1))
	d, err := c.Budget.Allow(ctx, key, c.BudgetRate, n)
	burst := c.BudgetRate.Burst
	if burst == 0 {
		burst = c.BudgetRate.Limit
	}
	stats.ThrottleStatus = &ThrottleStatus{
		MaximumAvailable:   int64(burst),
		CurrentlyAvailable: int64(max(d.Remaining, 0)),
		RestoreRate:        float64(c.BudgetRate.Limit) / c.BudgetRate.Period.Seconds(),
	}
	aud := auditor{logger: c.Logger, conceal: c.ConcealLimits}
	if err != nil {
		if c.Logger != nil {
			c.Logger.LogAttrs(ctx, slog.LevelError, "cost budget unavailable", slog.String("error", err.Error()),
				slog.String("request_id", reqctx.RequestID(ctx)))
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

// InterceptResponse implements graphql.ResponseInterceptor: it adds
// extensions.cost when configured.
func (c *CostLimit) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if (c.ReportCost || c.Budget != nil) && graphql.HasOperationContext(ctx) {
		if s := CostStatsFrom(ctx); s != nil {
			graphql.RegisterExtension(ctx, "cost", s)
		}
	}
	return next(ctx)
}
