package gqlsec

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/complexity"
	"github.com/rampart-go/rampart/telemetry"
)

// Config configures Install and Handler. The zero value is the hardened
// default: depth 15, aliases 30, root fields 20, fields 1000,
// directives 10 per field / 50 per document, 15,000 tokens, cost 5000 (an
// unbounded list counts 100), introspection and suggestions for nobody,
// batching off, errors masked.
type Config struct {
	// Limits are the structural operation limits (see OperationLimits).
	// Its Logger and Analysis fields are overridden by Config's.
	Limits OperationLimits
	// QueryCacheSize is how many parsed documents Install keeps (LRU, keyed
	// by document text) in the cache it shares between the guards and
	// gqlgen's executor, so that a repeated document is neither parsed nor
	// validated again. Zero means DefaultQueryCacheSize; Unlimited turns the
	// cache off (and leaves srv's own query cache in place). A document
	// parsed under a larger token limit (an admin's) is parsed again for a
	// caller with a smaller one.
	QueryCacheSize int
	// Cost is the cost limit and optional budget (see CostLimit). Its
	// Logger and Analysis fields are overridden by Config's.
	Cost CostLimit
	// Introspection decides who may introspect and see "Did you mean"
	// suggestions. Nil allows nobody; AllowRoles("ADMIN") is typical.
	Introspection func(*auth.Principal) bool
	// IntrospectionMode is the introspection lockdown's mode (see
	// Introspection.Mode); the zero value enforces it.
	IntrospectionMode rampart.Mode
	// TrustedDocuments, if set, restricts execution to its documents (see
	// TrustedDocuments). Nil accepts any document that passes the limits.
	TrustedDocuments *TrustedDocuments
	// ConcealLimits hides extensions.limit and extensions.observed from the
	// callers for whom it returns true. Nil shows them to everyone.
	ConcealLimits func(*auth.Principal) bool
	// Analysis tunes the measurement shared by Limits and Cost.
	Analysis complexity.Options
	// ErrorPresenter, if set, runs on errors MaskErrors lets through
	// (public ones); it cannot see masked detail. Nil means none.
	ErrorPresenter graphql.ErrorPresenterFunc
	// ValidationRules returns the validation rules gqlgen's executor
	// uses. Install sets them on the server (SetValidationRulesFn) and
	// validates first-seen documents with them, so that gqlgen can reuse
	// the guards' parse and validation (see Install). Nil means
	// rules.NewDefaultRules, gqlgen's default. Set custom rules here, not
	// with srv.SetValidationRulesFn, which Install overrides; calling that
	// after Install would let documents validated under these rules skip
	// the other ones. gqlsec calls it once, in Install; gqlgen calls it
	// per document it validates, so each call must return a new
	// *rules.Rules with the same rules.
	ValidationRules func() *rules.Rules
	// HTTP configures the middleware Handler adds (batching).
	HTTP HTTPOptions
	// Telemetry, if set, is given to every guard Install adds (Limits,
	// Cost, Introspection, TrustedDocuments) that has none of its own: they
	// count rejections by guard and code, record operation depth, fields,
	// tokens and cost, the budget left, and open a span per guard
	// evaluation when it has a tracer. Nil records nothing, at no cost.
	Telemetry *telemetry.Instruments
	// Logger receives audit records of rejections and the full text of
	// masked errors. Nil means slog.Default(), so that the detail behind an
	// "internal error" answer is never lost; pass
	// slog.New(slog.DiscardHandler) to drop it. It is read once, by
	// Install.
	Logger *slog.Logger
	// Reloader, if set, is bound by Install to the guards it adds, so that
	// Reloader.Reload can later swap in new Limits, Cost, Introspection,
	// IntrospectionMode, TrustedDocuments and ConcealLimits atomically while
	// the server runs (see Reloader). A Reloader binds to one Install. With
	// a Reloader, Install leaves gqlgen's own parser token limit off: the
	// guards' parse enforces the token limit in force.
	Reloader *Reloader
}

// Server is the part of gqlgen's *handler.Server that Install uses; pass
// a *handler.Server. (An interface keeps gqlsec free of gqlgen's transport
// package and the WebSocket library it pulls in.)
type Server interface {
	http.Handler
	Use(graphql.HandlerExtension)
	SetErrorPresenter(graphql.ErrorPresenterFunc)
	SetRecoverFunc(graphql.RecoverFunc)
	SetParserTokenLimit(int)
	SetDisableSuggestion(bool)
	SetQueryCache(graphql.Cache[*ast.QueryDocument])
	SetValidationRulesFn(func() *rules.Rules)
}

// Install applies every guard to srv with cfg's values and safe defaults,
// in this order: trusted documents (before parsing); operation limits,
// introspection lockdown and the cost limit (the document parsed once and
// measured once, before gqlgen's validation); the cost budget (after
// validation); the
// parser token limit; an error presenter that withholds suggestions from
// callers who may not introspect and masks internal errors; and a recover
// func that logs panics. It returns an error wrapping rampart.ErrConfig (or
// complexity.ErrBadDirective) on misconfiguration and then leaves srv
// unchanged.
//
// Install owns srv's query cache and validation rules: it sets the rules
// to cfg.ValidationRules and, unless cfg.QueryCacheSize is rampart.Unlimited,
// replaces any query cache set before with one it shares with the guards
// (an LRU of QueryCacheSize documents, default DefaultQueryCacheSize). When
// every guard passes a document the guards parsed, it is validated with
// those rules and, if valid, stored there, so gqlgen neither parses nor
// validates it again; invalid documents are left to gqlgen's parse and
// validation, which report its usual errors. The guards still run on every
// request, before gqlgen's cache lookup: a document cached for one caller
// is checked again against each other caller's limits.
//
// The guards read their configuration through one atomic pointer, loaded
// once per operation: an operation (a subscription included) keeps the
// configuration it started with to its end. Set cfg.Reloader to swap a
// new one in later (Reloader.Reload).
//
// Install does not set HTTP statuses or refuse batches; wrap srv with
// Middleware, or call Handler, which does both.
func Install(srv Server, cfg Config) error {
	if v := reflect.ValueOf(srv); srv == nil || (v.Kind() == reflect.Pointer && v.IsNil()) {
		return fmt.Errorf("%w: gqlsec: nil server", rampart.ErrConfig)
	}
	given := cfg
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	es := schemaOf(srv)
	if es == nil {
		return fmt.Errorf("%w: gqlsec: server has no executable schema", rampart.ErrConfig)
	}
	if cfg.QueryCacheSize < rampart.Unlimited {
		return fmt.Errorf("%w: gqlsec: Config.QueryCacheSize = %d (use rampart.Unlimited to turn it off)", rampart.ErrConfig, cfg.QueryCacheSize)
	}
	a, err := complexity.NewAnalyzer(es.Schema(), cfg.Analysis)
	if err != nil {
		return fmt.Errorf("gqlsec: %w", err)
	}
	b := &binding{es: es, analyzer: a, fixed: given, logger: cfg.Logger, meter: cfg.Cost.ActualCost}
	if n := pick(cfg.QueryCacheSize, DefaultQueryCacheSize); n > 0 {
		b.cache = lru.New[*cachedDoc](int(n))
		b.fill = &queryCacheFill{analyzer: a, cache: b.cache, rules: cfg.ValidationRules}
		if err := b.fill.Validate(es); err != nil {
			return err
		}
	}
	gs, err := b.build(cfg)
	if err != nil {
		return err
	}
	if r := cfg.Reloader; r != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.b != nil {
			return fmt.Errorf("%w: gqlsec: Config.Reloader is already bound to another Install", rampart.ErrConfig)
		}
		defer func() { r.b = b }()
	}
	b.cur.Store(gs)
	srv.Use(&guards{b: b})
	if modes, _ := cfg.Limits.modesOf(limitTable()); cfg.Reloader == nil && cfg.Limits.For == nil && modes[rowTokens] == rampart.Enforce {
		// Defense in depth: gqlgen's own parser stops at the same limit.
		// With per-caller limits the extension's parse enforces them; a
		// measured token limit must not be enforced by gqlgen either, nor
		// one a Reloader may raise.
		srv.SetParserTokenLimit(int(resolve(limitTable(), &cfg.Limits)[rowTokens]))
	}
	srv.SetDisableSuggestion(false) // decided per caller by the presenter below
	rulesFn := cfg.ValidationRules
	if rulesFn == nil {
		rulesFn = rules.NewDefaultRules
	}
	srv.SetValidationRulesFn(rulesFn)
	if b.cache != nil {
		srv.SetQueryCache(execCache{b.cache})
	}
	mask := MaskErrors(cfg.Logger)
	presenter := mask
	if cfg.ErrorPresenter != nil {
		inner := cfg.ErrorPresenter
		presenter = func(ctx context.Context, err error) *gqlerror.Error {
			return inner(ctx, mask(ctx, err))
		}
	}
	srv.SetErrorPresenter(suggestions(b.mayIntrospect, presenter))
	srv.SetRecoverFunc(Recover(cfg.Logger))
	return nil
}

// build validates cfg against the schema and returns the guards it
// configures, sharing b's Analyzer and query cache. Install and
// Reloader.Reload both build through it, so a configuration one accepts
// the other accepts too.
func (b *binding) build(cfg Config) (*guardSet, error) {
	if cfg.Logger == nil {
		cfg.Logger = b.logger
	}
	limits := cfg.Limits
	limits.Logger, limits.Analysis, limits.analyzer = cfg.Logger, cfg.Analysis, b.analyzer
	limits.installed, limits.cache = true, b.cache
	if limits.Telemetry == nil {
		limits.Telemetry = cfg.Telemetry
	}
	if limits.ConcealLimits == nil {
		limits.ConcealLimits = cfg.ConcealLimits
	}
	cost := cfg.Cost
	cost.Logger, cost.Analysis, cost.analyzer = cfg.Logger, cfg.Analysis, b.analyzer
	if cost.Telemetry == nil {
		cost.Telemetry = cfg.Telemetry
	}
	if cost.ConcealLimits == nil {
		cost.ConcealLimits = cfg.ConcealLimits
	}
	gs := &guardSet{
		limits: &limits, cost: &cost, introspect: cfg.Introspection,
		intro: &Introspection{Allow: cfg.Introspection, Logger: cfg.Logger, Mode: cfg.IntrospectionMode, Telemetry: cfg.Telemetry},
	}
	var exts []graphql.HandlerExtension
	if cfg.TrustedDocuments != nil {
		td := *cfg.TrustedDocuments
		if td.Logger == nil {
			td.Logger = cfg.Logger
		}
		if td.Telemetry == nil {
			td.Telemetry = cfg.Telemetry
		}
		gs.td = &td
		exts = append(exts, gs.td)
	}
	limits.intro = gs.intro
	exts = append(exts, gs.limits, gs.intro, gs.cost)
	for _, e := range exts {
		if err := e.Validate(b.es); err != nil {
			return nil, err
		}
	}
	return gs, nil
}

// schemaOf reads srv's executable schema, which handler.Server does not
// expose, through the one door it has: Use hands every extension the
// schema in Validate. The probe refuses (so Use panics before adding it)
// and the panic is recovered; srv is left unchanged.
func schemaOf(srv Server) (es graphql.ExecutableSchema) {
	defer func() { _ = recover() }()
	srv.Use(probe{&es})
	return es
}

type probe struct{ es *graphql.ExecutableSchema }

func (probe) ExtensionName() string { return "RampartProbe" }

func (p probe) Validate(es graphql.ExecutableSchema) error {
	*p.es = es
	return errProbe
}

var errProbe = errors.New("gqlsec: probe")

// Handler installs cfg's guards on srv (see Install) and returns srv
// wrapped with Middleware(cfg.HTTP): the one-call way to serve a hardened
// gqlgen endpoint.
func Handler(srv Server, cfg Config) (http.Handler, error) {
	mw, err := Middleware(cfg.HTTP)
	if err != nil {
		return nil, err
	}
	if err := Install(srv, cfg); err != nil {
		return nil, err
	}
	return mw(srv), nil
}
