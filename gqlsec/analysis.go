package gqlsec

import (
	"context"
	"errors"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/rampart-go/rampart/complexity"
)

const analysisKey = "RampartAnalysis"

// analysis is one request's parse and measurement, shared by the
// extensions that need it through the operation context's stats, so a
// document is parsed and measured once however many guards read it.
type analysis struct {
	analyzer   *complexity.Analyzer
	query      string // the text parsed (the cache key)
	doc        *ast.QueryDocument
	fresh      bool // doc was parsed by this request (not from the cache)
	report     complexity.Report
	err        error // from Analyze
	parseErr   error
	tokenHit   bool  // parse stopped at the token limit
	tokens     int   // token limit of the parse (0 = none)
	nestingHit bool  // parse stopped at gqlparser's nesting cap
	count      int64 // lexical tokens of query, 0 = not counted yet
}

// tokenCount returns the number of lexical tokens in the document, counted
// once (only telemetry asks: the parser does not report it). A document
// from the cache keeps the count it was stored with.
func (an *analysis) tokenCount() int64 {
	if an.count == 0 {
		an.count = countTokens(an.query)
	}
	return an.count
}

// countTokens lexes q and counts its tokens, up to the first lexical error.
func countTokens(q string) int64 {
	lx := lexer.New(&ast.Source{Input: q})
	var n int64
	for {
		tok, err := lx.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return n
		}
		n++
	}
}

// reanalyse forgets the request's analysis and parses params.Query again
// without a token limit: a token limit in measure mode must not stop the
// parse the other guards measure.
func reanalyse(ctx context.Context, a *complexity.Analyzer, params *graphql.RawParams) *analysis {
	if graphql.HasOperationContext(ctx) {
		graphql.GetOperationContext(ctx).Stats.SetExtension(analysisKey, nil)
	}
	return analyse(ctx, a, params, 0, nil)
}

// analyse parses params.Query with tokenLimit (0 = none) and measures it,
// before gqlgen parses and validates: a document that would make
// validation slow (10,000 copies of one field take gqlparser's overlap
// check seconds) is refused first.
//
// cache, when not nil, holds parsed documents with the token limit they
// were parsed under; a hit skips the parse when the caller's token limit
// is at least as large.
func analyse(ctx context.Context, a *complexity.Analyzer, params *graphql.RawParams, tokenLimit int, cache *lru.LRU[*cachedDoc]) *analysis {
	var opCtx *graphql.OperationContext
	if graphql.HasOperationContext(ctx) {
		opCtx = graphql.GetOperationContext(ctx)
		if an, ok := opCtx.Stats.GetExtension(analysisKey).(*analysis); ok && an.analyzer == a {
			return an
		}
	}
	an := &analysis{analyzer: a, query: params.Query}
	var doc *ast.QueryDocument
	var err error
	if c, ok := cacheGet(ctx, cache, params.Query); ok && tokenOK(c.tokens, tokenLimit) {
		doc, an.count = c.doc, c.count
	} else {
		doc, err = parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, tokenLimit)
		an.fresh = true
	}
	an.tokens = tokenLimit
	switch {
	case err != nil:
		an.parseErr = err
		msg := err.Error()
		an.tokenHit = strings.Contains(msg, "exceeded token limit")
		an.nestingHit = strings.Contains(msg, "exceeded maximum nesting depth")
	default:
		an.doc = doc
		an.report, an.err = a.Analyze(doc, params.OperationName, params.Variables)
	}
	if opCtx != nil {
		opCtx.Stats.SetExtension(analysisKey, an)
	}
	return an
}

// measured reports whether the analysis produced figures worth enforcing:
// parse errors, unknown operations and fragment cycles are left to gqlgen's
// own parser and validator, which report them in their usual form.
func (an *analysis) measured() bool {
	return an.doc != nil && (an.err == nil || errors.Is(an.err, complexity.ErrTooDeep))
}

// cachedDoc is a parsed document that passed OperationLimits, and the
// token limit it was parsed under (0 = none). valid reports that it
// passed gqlgen's validation rules with no error: only such documents are
// handed to gqlgen (see execCache). A cached document is never modified
// after it is added (validation, which fills in definitions, runs before).
type cachedDoc struct {
	doc    *ast.QueryDocument
	tokens int
	valid  bool
	count  int64 // lexical tokens, when telemetry counted them (0 = not)
}

func cacheGet(ctx context.Context, c *lru.LRU[*cachedDoc], q string) (*cachedDoc, bool) {
	if c == nil {
		return nil, false
	}
	return c.Get(ctx, q)
}

// tokenOK reports whether a document parsed under limit parsed (0 = none)
// is known to be within limit want (0 = none).
func tokenOK(parsed, want int) bool {
	return want == 0 || (parsed > 0 && parsed <= want)
}
