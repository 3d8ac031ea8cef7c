package gqlsec

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/complexity"
	"github.com/rampart-go/rampart/telemetry"
)

// Default operation limits. Each is written here once; limitTable, the
// documentation and the tests refer to these names.
const (
	DefaultDepth              = 15
	DefaultAliases            = 30
	DefaultRootFields         = 20
	DefaultDirectivesPerField = 10
	DefaultDirectives         = 50
	DefaultTokens             = 15000
	// DefaultDocumentBytes bounds the document text. A 15,000-token
	// document of ordinary names is well under 128 KiB; one huge string
	// literal is a single token and only a byte limit stops it.
	DefaultDocumentBytes = 128 << 10
	// DefaultFields is the total-field limit. 1000 field selections (after
	// fragment expansion) is several times what a real page query selects
	// (the 20-field query in the benchmarks is far below it) while it still
	// stops 10,000 copies of a field and fragment bombs, whose cost is in
	// the fields gqlgen collects and validates, not in their list sizes.
	DefaultFields = 1000
)

// OperationLimits is a gqlgen extension that refuses operations exceeding
// structural limits before gqlgen validates them and before any resolver
// runs. It parses the document itself with the token limit (so that
// documents which would make gqlgen's validation slow are refused first)
// and measures it with package complexity in one linear pass.
//
// Each field's zero value means the documented default; rampart.Unlimited (-1)
// turns that limit off; other negative values are a configuration error.
// Limits are counted after fragment expansion (see complexity.Report).
type OperationLimits struct {
	// Depth is the deepest field nesting allowed; a root field is at depth
	// 1. Default 15. Code DEPTH_LIMIT_EXCEEDED.
	Depth int
	// Aliases is the number of aliased fields allowed. Default 30. Code
	// ALIAS_LIMIT_EXCEEDED.
	Aliases int
	// RootFields is the number of root fields allowed. Default 20. Code
	// ROOT_FIELD_LIMIT_EXCEEDED.
	RootFields int
	// Fields is the number of field selections allowed in total. Default
	// 1000. Code FIELD_LIMIT_EXCEEDED.
	Fields int
	// DirectivesPerField is the number of directives allowed on one field
	// (or fragment). Default 10. Code DIRECTIVE_LIMIT_EXCEEDED.
	DirectivesPerField int
	// Directives is the number of directive uses allowed in the document.
	// Default 50. Code DIRECTIVE_LIMIT_EXCEEDED.
	Directives int
	// Tokens is the parser's token limit. Default 15,000. Code
	// TOKEN_LIMIT_EXCEEDED; extensions.observed is then limit+1 (parsing
	// stops there).
	Tokens int
	// DocumentBytes is the largest document, in bytes, checked before
	// parsing. Default 128 KiB. Code DOCUMENT_TOO_LARGE. (Variables are
	// bounded by the request body limit, httpsec.BodyLimit.)
	DocumentBytes int

	// For, if set, returns the limits for one caller (nil for anonymous),
	// for example larger ones for an admin. Zero fields in its result mean
	// the defaults above (not this value's fields); negative values other
	// than rampart.Unlimited mean the default too. For itself is ignored in the
	// result.
	For func(*auth.Principal) OperationLimits

	// Logger receives one audit record per rejection. Nil discards them.
	Logger *slog.Logger
	// ConcealLimits, if set, hides extensions.limit and extensions.observed
	// (and the figures in the message) from the callers for whom it returns
	// true. Nil shows them to everyone: limits are not secret.
	ConcealLimits func(*auth.Principal) bool
	// Analysis tunes the measurement (introspection fields counted by
	// default).
	Analysis complexity.Options

	// Mode applies to every limit that Modes does not name: the zero value
	// rampart.Enforce refuses; rampart.Measure records the would-be
	// rejection (metric outcome "measured", an INFO log line with the
	// request id) and lets the operation through; rampart.Off skips the
	// check. Modes of the caller's limits come from here, never from For's
	// result.
	Mode rampart.Mode
	// Modes sets the mode of single limits, keyed by field name ("Depth",
	// "Tokens", …, as in OperationLimits); it overrides Mode. An unknown
	// name is a configuration error. Under Measure, Tokens parses the
	// document without a token limit (DocumentBytes still bounds it), and
	// gqlparser's 1000-level nesting cap stays a parse error whatever the
	// Depth mode.
	Modes map[string]rampart.Mode
	// Telemetry counts rejections (guard telemetry.GuardLimits), records
	// each operation's depth, fields and tokens, and opens a span per
	// evaluation. Nil records nothing.
	Telemetry *telemetry.Instruments

	analyzer *complexity.Analyzer
	// cache holds parsed documents (LRU, keyed by document text) so that a
	// repeated document is not parsed again. Install sets it to the cache
	// it shares with gqlgen's executor (Config.QueryCacheSize) and fills it
	// itself (queryCacheFill); used alone, OperationLimits keeps
	// DefaultQueryCacheSize documents that passed its limits.
	cache *lru.LRU[*cachedDoc]
	// installed: Install owns the cache (nil when Config.QueryCacheSize is
	// Unlimited), and queryCacheFill adds documents to it.
	installed bool
	// intro, set by Install, refuses introspection the pre-scan finds for
	// a caller who may not introspect, before the document is parsed.
	intro *Introspection
	// rows is limitTable(), and static limitsFor's result when For is nil;
	// both are set by Validate.
	rows   []limitRow
	static []int64
	modes  []rampart.Mode
}

// DefaultQueryCacheSize is the default number of parsed documents kept
// (Config.QueryCacheSize), as gqlgen's own query cache usually does.
const DefaultQueryCacheSize = 1000

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*OperationLimits)(nil)

// ExtensionName implements graphql.HandlerExtension.
func (o *OperationLimits) ExtensionName() string { return "RampartOperationLimits" }

// Validate implements graphql.HandlerExtension: it checks the limits and
// compiles the schema's cost metadata.
func (o *OperationLimits) Validate(es graphql.ExecutableSchema) error {
	o.rows = limitTable()
	for _, row := range o.rows {
		if v := row.option(o); v < rampart.Unlimited {
			return fmt.Errorf("%w: gqlsec: OperationLimits.%s = %d (use rampart.Unlimited to turn it off)", rampart.ErrConfig, row.name, v)
		}
	}
	if o.analyzer == nil {
		a, err := complexity.NewAnalyzer(es.Schema(), o.Analysis)
		if err != nil {
			return fmt.Errorf("gqlsec: %w", err)
		}
		o.analyzer = a
	}
	if !o.installed && o.cache == nil {
		o.cache = lru.New[*cachedDoc](DefaultQueryCacheSize)
	}
	modes, err := o.modesOf(o.rows)
	if err != nil {
		return err
	}
	o.modes = modes
	o.static = o.offModes(resolve(o.rows, o))
	return nil
}

// modesOf returns the mode of each row of rows, or a configuration error
// for an unknown name in Modes or an invalid mode.
func (o *OperationLimits) modesOf(rows []limitRow) ([]rampart.Mode, error) {
	if !o.Mode.Valid() {
		return nil, fmt.Errorf("%w: gqlsec: OperationLimits.Mode = %v", rampart.ErrConfig, o.Mode)
	}
	out := make([]rampart.Mode, len(rows))
	known := make(map[string]bool, len(rows))
	for i, row := range rows {
		known[row.name] = true
		out[i] = o.Mode
		if m, ok := o.Modes[row.name]; ok {
			out[i] = m
		}
	}
	for name, m := range o.Modes {
		if !known[name] {
			return nil, fmt.Errorf("%w: gqlsec: OperationLimits.Modes[%q]: no such limit", rampart.ErrConfig, name)
		}
		if !m.Valid() {
			return nil, fmt.Errorf("%w: gqlsec: OperationLimits.Modes[%q] = %v", rampart.ErrConfig, name, m)
		}
	}
	return out, nil
}

// modeAt returns the mode of row i; rampart.Off turns its limit off.
func (o *OperationLimits) modeAt(i int) rampart.Mode {
	if o.modes == nil {
		if m, err := o.modesOf(o.table()); err == nil {
			return m[i]
		}
		return rampart.Enforce
	}
	return o.modes[i]
}

// at returns aud set to the mode of row i.
func (o *OperationLimits) at(aud auditor, i int) auditor {
	aud.mode = o.modeAt(i)
	return aud
}

func pick(v, def int) int64 {
	switch {
	case v == rampart.Unlimited:
		return 0
	case v <= 0:
		return int64(def)
	default:
		return int64(v)
	}
}

// limitsFor returns the limits of caller p, indexed like limitTable, with
// defaults applied; 0 means off (rampart.Unlimited, or mode rampart.Off).
func (o *OperationLimits) limitsFor(p *auth.Principal) []int64 {
	switch {
	case o.For != nil:
		l := o.For(p)
		return o.offModes(resolve(o.table(), &l))
	case o.static == nil:
		return o.offModes(resolve(o.table(), o))
	}
	return o.static
}

// known reports whether the document is already parsed in the cache under
// a token limit within tokens (then its analysis is cheap and the
// pre-scan is skipped), or already analysed for this operation.
func (o *OperationLimits) known(ctx context.Context, query string, tokens int) bool {
	if graphql.HasOperationContext(ctx) {
		if an, ok := graphql.GetOperationContext(ctx).Stats.GetExtension(analysisKey).(*analysis); ok && an.analyzer == o.analyzer {
			return true
		}
	}
	c, ok := cacheGet(ctx, o.cache, query)
	return ok && tokenOK(c.tokens, tokens)
}

// offModes zeroes, in lim (indexed like limitTable), the limits whose mode
// is rampart.Off, and returns lim.
func (o *OperationLimits) offModes(lim []int64) []int64 {
	for i := range lim {
		if o.modeAt(i) == rampart.Off {
			lim[i] = 0
		}
	}
	return lim
}

// table returns the limit table Validate stored, or a new one.
func (o *OperationLimits) table() []limitRow {
	if o.rows == nil {
		return limitTable()
	}
	return o.rows
}

// MutateOperationParameters implements graphql.OperationParameterMutator:
// it runs before gqlgen parses and validates the document.
func (o *OperationLimits) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if params.Query == "" {
		return nil
	}
	ctx, span := o.Telemetry.Start(ctx, telemetry.GuardLimits)
	defer span.End()
	lim := o.limitsFor(principal(ctx))
	aud := auditor{logger: o.Logger, conceal: o.ConcealLimits, ins: o.Telemetry, guard: telemetry.GuardLimits}
	if n, max := int64(len(params.Query)), lim[rowDocumentBytes]; max > 0 && n > max {
		if e := o.at(aud, rowDocumentBytes).reject(ctx, params.OperationName, rejection{
			code: CodeDocumentSize, message: "operation document is too large",
			detail: fmt.Sprintf("operation document of %d bytes exceeds the limit of %d", n, max),
			limit:  max, observed: n, hasFigures: true,
		}); e != nil {
			return e
		}
	}
	tokens := lim[rowTokens]
	if !o.known(ctx, params.Query, int(tokens)) {
		// A first-seen document is read once, token by token, before it is
		// parsed: a hostile one is refused at the first limit it exceeds.
		// Only enforced limits stop the scan: a measured one is counted by
		// the full analysis below, which lets the request through.
		enforced := func(i int) int64 {
			if o.modeAt(i) != rampart.Enforce {
				return 0
			}
			return lim[i]
		}
		v := prescan(params.Query, params.OperationName, prescanLimits{
			tokens: enforced(rowTokens), depth: enforced(rowDepth), rootFields: enforced(rowRootFields),
			aliases: enforced(rowAliases), fields: enforced(rowFields),
		})
		if v.row >= 0 {
			row, max := o.table()[v.row], lim[v.row]
			r := rejection{
				code: row.code, message: "operation exceeds the " + row.what + " limit",
				detail: fmt.Sprintf("operation %s %d exceeds the limit of %d", row.what, v.observed, max),
				limit:  max, observed: v.observed, hasFigures: true,
			}
			if v.row == rowTokens {
				r.message, r.detail = "operation has too many tokens", fmt.Sprintf("operation exceeds the limit of %d tokens", tokens)
			}
			return o.at(aud, v.row).reject(ctx, params.OperationName, r)
		}
		if v.introspection && o.intro != nil {
			if e := o.intro.early(ctx, params.OperationName); e != nil {
				return e
			}
		}
	}
	an := analyse(ctx, o.analyzer, params, int(tokens), o.cache)
	if an.tokenHit {
		if e := o.at(aud, rowTokens).reject(ctx, params.OperationName, rejection{
			code: CodeTokenLimit, message: "operation has too many tokens",
			detail: fmt.Sprintf("operation exceeds the limit of %d tokens", tokens),
			limit:  tokens, observed: tokens + 1, hasFigures: true,
		}); e != nil {
			return e
		}
		an = reanalyse(ctx, o.analyzer, params) // measured: parse it whole
	}
	if depth := lim[rowDepth]; an.nestingHit {
		return o.at(aud, rowDepth).reject(ctx, params.OperationName, rejection{
			code: CodeDepthLimit, message: "operation is nested too deeply",
			detail: fmt.Sprintf("operation nesting exceeds the parser's cap; the depth limit is %d", depth),
			limit:  depth, observed: complexity.MaxNesting + 1, hasFigures: depth > 0,
		})
	}
	if !an.measured() {
		return nil // gqlgen reports parse and validation errors itself
	}
	if o.Telemetry.Enabled() {
		o.Telemetry.Operation(ctx, -1, an.report.Depth, an.report.Fields, an.tokenCount())
	}
	for i, row := range o.table() {
		if row.observe == nil {
			continue
		}
		if max, n := lim[i], row.observe(&an.report); max > 0 && n > max {
			if e := o.at(aud, i).reject(ctx, params.OperationName, rejection{
				code:    row.code,
				message: "operation exceeds the " + row.what + " limit",
				detail:  fmt.Sprintf("operation %s %d exceeds the limit of %d", row.what, n, max),
				limit:   max, observed: n, hasFigures: true,
			}); e != nil {
				return e
			}
		}
	}
	if o.cache != nil && an.parseErr == nil && an.fresh && !o.installed {
		o.cache.Add(ctx, params.Query, &cachedDoc{doc: an.doc, tokens: an.tokens, count: an.count})
	}
	return nil
}
