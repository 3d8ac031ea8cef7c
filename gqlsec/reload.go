package gqlsec

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/complexity"
)

// Reloader swaps the configuration of the guards Install added for a new
// one while the server runs: operation limits (For and modes included),
// the cost limit and budget, the introspection policy and mode, the
// trusted-documents store and who may bypass it, and ConcealLimits.
//
//	r := &gqlsec.Reloader{}
//	cfg.Reloader = r
//	h, err := gqlsec.Handler(srv, cfg)
//	…
//	if err := r.Reload(newCfg); err != nil {
//		log.Printf("reload refused, the previous configuration stays: %v", err)
//	}
//
// Reload validates the new configuration completely, against the schema,
// with the same code Install uses, and swaps it in only if it is valid:
// a bad one changes nothing. The swap is one atomic pointer store; each
// operation loads the pointer once, when it starts, and keeps that
// configuration to its end, so an operation in flight (or an open
// subscription) never sees half of two configurations, and the next
// operation (on HTTP or on an open WebSocket) runs under the new one.
//
// Fixed at Install, because the query cache, the analyzer and the server
// are built from them: QueryCacheSize, Analysis, HTTP, Telemetry and
// Logger must be unchanged (Reload refuses otherwise), ValidationRules and
// ErrorPresenter are kept from Install, and Cost.ActualCost can be turned
// on only if it was on at Install.
//
// The zero value is ready to be set in Config.Reloader; it binds to one
// Install. Its methods are safe for concurrent use.
type Reloader struct {
	mu sync.Mutex
	b  *binding // set by Install
}

// Reload validates cfg and, if it is valid, makes it the configuration of
// every operation that starts from now on. It returns an error wrapping
// rampart.ErrConfig (or complexity.ErrBadDirective, ErrManifest) naming
// the problem, and leaves the configuration in force unchanged, when cfg
// is invalid, changes a field fixed at Install, or the Reloader is not
// bound by Install. cfg.Reloader must be nil or r.
func (r *Reloader) Reload(cfg Config) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.b
	if b == nil {
		return fmt.Errorf("%w: gqlsec: Reload: the Reloader is not bound (set Config.Reloader before Install)", rampart.ErrConfig)
	}
	if cfg.Reloader != nil && cfg.Reloader != r {
		return fmt.Errorf("%w: gqlsec: Reload: Config.Reloader names another Reloader", rampart.ErrConfig)
	}
	if err := b.checkFixed(cfg); err != nil {
		return fmt.Errorf("gqlsec: Reload: %w", err)
	}
	gs, err := b.build(cfg)
	if err != nil {
		return fmt.Errorf("gqlsec: Reload: %w", err)
	}
	b.cur.Store(gs)
	return nil
}

// binding is one Install: what every configuration shares (schema,
// analyzer, query cache) and the configuration in force.
type binding struct {
	es       graphql.ExecutableSchema
	analyzer *complexity.Analyzer
	cache    *lru.LRU[*cachedDoc] // nil when Config.QueryCacheSize is Unlimited
	fill     *queryCacheFill      // nil with cache
	fixed    Config               // as given to Install, for checkFixed
	logger   *slog.Logger         // Install's logger, defaults applied
	meter    bool                 // Cost.ActualCost was on at Install
	cur      atomic.Pointer[guardSet]
}

// checkFixed refuses a configuration that changes what Install fixed.
func (b *binding) checkFixed(cfg Config) error {
	f := b.fixed
	switch {
	case cfg.QueryCacheSize != f.QueryCacheSize:
		return fmt.Errorf("%w: gqlsec: Config.QueryCacheSize cannot change after Install (%d, now %d)", rampart.ErrConfig, f.QueryCacheSize, cfg.QueryCacheSize)
	case cfg.Analysis != f.Analysis:
		return fmt.Errorf("%w: gqlsec: Config.Analysis cannot change after Install", rampart.ErrConfig)
	case cfg.HTTP != f.HTTP:
		return fmt.Errorf("%w: gqlsec: Config.HTTP cannot change after Install (Handler's middleware is built once)", rampart.ErrConfig)
	case cfg.Telemetry != f.Telemetry:
		return fmt.Errorf("%w: gqlsec: Config.Telemetry cannot change after Install", rampart.ErrConfig)
	case cfg.Logger != f.Logger:
		return fmt.Errorf("%w: gqlsec: Config.Logger cannot change after Install", rampart.ErrConfig)
	case cfg.Cost.ActualCost && !b.meter:
		return fmt.Errorf("%w: gqlsec: Cost.ActualCost can be turned on only at Install", rampart.ErrConfig)
	}
	return nil
}

// guardSet is one validated configuration of the guards.
type guardSet struct {
	td         *TrustedDocuments // nil: any document
	limits     *OperationLimits
	intro      *Introspection
	cost       *CostLimit
	introspect func(*auth.Principal) bool // Config.Introspection, for suggestions
}

// guardSetKey pins an operation's guardSet in its operation context.
const guardSetKey = "RampartGuardSet"

// state returns the guardSet of the operation in ctx, or the one in force.
func (b *binding) state(ctx context.Context) *guardSet {
	if graphql.HasOperationContext(ctx) {
		if gs, ok := graphql.GetOperationContext(ctx).Stats.GetExtension(guardSetKey).(*guardSet); ok {
			return gs
		}
	}
	return b.cur.Load()
}

// mayIntrospect reports whether the caller in ctx may see "Did you mean"
// suggestions under the configuration of its operation.
func (b *binding) mayIntrospect(ctx context.Context) bool {
	f := b.state(ctx).introspect
	return f != nil && f(principal(ctx))
}

// guards is the one extension Install adds for the reloadable guards: it
// loads the configuration once per operation, pins it in the operation
// context, and runs that configuration's guards in Install's order
// (trusted documents; limits, introspection, cost before validation; the
// query-cache fill; introspection and the budget after validation; the
// cost report on the response).
type guards struct{ b *binding }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = (*guards)(nil)

// ExtensionName implements graphql.HandlerExtension.
func (*guards) ExtensionName() string { return "RampartGuards" }

// Validate implements graphql.HandlerExtension; Install validated the
// guards already.
func (*guards) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (g *guards) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	gs := g.b.cur.Load()
	if graphql.HasOperationContext(ctx) {
		graphql.GetOperationContext(ctx).Stats.SetExtension(guardSetKey, gs)
	}
	if gs.td != nil {
		if err := gs.td.MutateOperationParameters(ctx, params); err != nil {
			return err
		}
	}
	if err := gs.limits.MutateOperationParameters(ctx, params); err != nil {
		return err
	}
	if err := gs.intro.MutateOperationParameters(ctx, params); err != nil {
		return err
	}
	if err := gs.cost.MutateOperationParameters(ctx, params); err != nil {
		return err
	}
	if g.b.fill != nil {
		return g.b.fill.MutateOperationParameters(ctx, params)
	}
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (g *guards) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	gs, ok := opCtx.Stats.GetExtension(guardSetKey).(*guardSet)
	if !ok {
		gs = g.b.cur.Load()
	}
	if err := gs.intro.MutateOperationContext(ctx, opCtx); err != nil {
		return err
	}
	return gs.cost.MutateOperationContext(ctx, opCtx)
}

// InterceptResponse implements graphql.ResponseInterceptor.
func (g *guards) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	return g.b.state(ctx).cost.InterceptResponse(ctx, next)
}
