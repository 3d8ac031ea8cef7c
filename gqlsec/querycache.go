package gqlsec

import (
	"context"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/rampart-go/rampart/complexity"
)

// execCache is the query cache Install gives gqlgen's executor
// (SetQueryCache). It shares the guards' LRU: gqlgen sees only the
// documents that validated with no error under the executor's rules, so a
// hit in gqlgen (which skips gqlgen's parse and validation) returns what
// gqlgen's own parse and validation would have produced. The guards run
// before gqlgen's lookup on every request, so a hit never skips them.
type execCache struct{ c *lru.LRU[*cachedDoc] }

var _ graphql.Cache[*ast.QueryDocument] = execCache{}

// Get implements graphql.Cache.
func (e execCache) Get(ctx context.Context, query string) (*ast.QueryDocument, bool) {
	if c, ok := e.c.Get(ctx, query); ok && c.valid {
		return c.doc, true
	}
	return nil, false
}

// Add implements graphql.Cache: gqlgen adds documents it parsed and
// validated itself (when the guards did not store one). Their token limit
// is unknown, so the guards parse them again for any caller with a limit.
func (e execCache) Add(ctx context.Context, query string, doc *ast.QueryDocument) {
	e.c.Add(ctx, query, &cachedDoc{doc: doc, valid: true})
}

// queryCacheFill is the last pre-validation extension Install adds: for a
// document the guards parsed in this request and every guard passed, it
// validates the document as gqlgen's executor would and stores it, so
// gqlgen finds it in its query cache and neither parses nor validates it
// again. Documents that fail validation are stored as invalid (gqlgen
// parses and validates those itself and reports its usual errors).
type queryCacheFill struct {
	analyzer *complexity.Analyzer // whose analysis to reuse
	cache    *lru.LRU[*cachedDoc]
	rules    func() *rules.Rules
	schema   *ast.Schema
	list     []validator.Rule // executorRules(rules), sorted by name
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*queryCacheFill)(nil)

// ExtensionName implements graphql.HandlerExtension.
func (q *queryCacheFill) ExtensionName() string { return "RampartQueryCache" }

// Validate implements graphql.HandlerExtension.
// The rules are built once here: validator.Validate with them sorted by
// name is what validator.ValidateWithRules does (without rebuilding and
// re-sorting them for every document) and only reads them.
func (q *queryCacheFill) Validate(es graphql.ExecutableSchema) error {
	q.schema = es.Schema()
	inner := executorRules(q.rules).GetInner()
	q.list = make([]validator.Rule, 0, len(inner))
	for name, f := range inner {
		q.list = append(q.list, validator.Rule{Name: name, RuleFunc: f})
	}
	slices.SortFunc(q.list, func(a, b validator.Rule) int { return strings.Compare(a.Name, b.Name) })
	return nil
}

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (q *queryCacheFill) MutateOperationParameters(ctx context.Context, _ *graphql.RawParams) *gqlerror.Error {
	if !graphql.HasOperationContext(ctx) {
		return nil
	}
	an, ok := graphql.GetOperationContext(ctx).Stats.GetExtension(analysisKey).(*analysis)
	if !ok || an.analyzer != q.analyzer || !an.fresh || an.parseErr != nil || an.err != nil ||
		an.doc == nil || len(an.doc.Operations) == 0 {
		return nil
	}
	errs := validator.Validate(q.schema, an.doc, q.list...)
	q.cache.Add(ctx, an.query, &cachedDoc{doc: an.doc, tokens: an.tokens, valid: len(errs) == 0, count: an.count})
	return nil
}

// executorRules returns the rules gqlgen v0.17's executor.parseQuery
// validates with when suggestions are enabled (Install enables them and
// strips suggestions per caller in the error presenter): fn's rules (nil
// means rules.NewDefaultRules) with the suggesting FieldsOnCorrectType and
// ScalarLeafs rules. Which variant is used changes only error messages,
// never whether a document validates, and only documents with no error
// are handed to gqlgen.
//
// This copies gqlgen's rule selection instead of calling it because gqlgen
// exposes no way to validate a document that is already parsed: the
// selection lives in the unexported Executor.parseQuery, and the public
// Executor.CreateOperationContext parses the text again, or, when its
// query cache holds the document, skips validation altogether. Calling it
// would undo the single parse the shared cache exists for. The copy is
// checked against gqlgen by TestExecutorRulesMatchGqlgen.
func executorRules(fn func() *rules.Rules) *rules.Rules {
	r := rules.NewDefaultRules
	if fn != nil {
		r = fn
	}
	cur := r()
	cur.RemoveRule("FieldsOnCorrectTypeWithoutSuggestions")
	cur.AddRule(rules.FieldsOnCorrectTypeRule.Name, rules.FieldsOnCorrectTypeRule.RuleFunc)
	cur.RemoveRule("ScalarLeafsWithoutSuggestions")
	cur.AddRule(rules.ScalarLeafsRule.Name, rules.ScalarLeafsRule.RuleFunc)
	return cur
}
