package gqlsec_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/internal/gqltest"
)

func benchDocs() []struct{ name, q string } {
	return []struct{ name, q string }{
		{"typical_20_fields", gqltest.Typical},
		{"depth_20", gqltest.Deep(20)},
		{"aliases_1000", gqltest.Aliases(1000)},
		{"fragment_bomb_10x10", gqltest.FragmentBomb(10, 10)},
		{"tokens_15000", gqltest.Aliases(2490)},
		{"introspection_query", introspection.Query},
	}
}

// BenchmarkBaselineParseValidate is what gqlgen spends on each document
// before executing it: gqlparser's parse and validation.
func BenchmarkBaselineParseValidate(b *testing.B) {
	s := gqltest.Schema()
	for _, d := range benchDocs() {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: d.q}, 20000)
				if err != nil {
					b.Fatal(err)
				}
				if errs := validator.Validate(s, doc); len(errs) > 0 {
					b.Fatal(errs)
				}
			}
		})
	}
}

// captureServer records what Install adds.
type captureServer struct {
	http.Handler
	es    graphql.ExecutableSchema
	exts  []graphql.HandlerExtension
	cache graphql.Cache[*ast.QueryDocument]
}

func (c *captureServer) Use(e graphql.HandlerExtension) {
	if err := e.Validate(c.es); err != nil {
		panic(err)
	}
	c.exts = append(c.exts, e)
}
func (c *captureServer) SetErrorPresenter(graphql.ErrorPresenterFunc) {}
func (c *captureServer) SetRecoverFunc(graphql.RecoverFunc)           {}
func (c *captureServer) SetParserTokenLimit(int)                      {}
func (c *captureServer) SetDisableSuggestion(bool)                    {}
func (c *captureServer) SetValidationRulesFn(func() *rules.Rules)     {}
func (c *captureServer) SetQueryCache(q graphql.Cache[*ast.QueryDocument]) {
	c.cache = q
}

// guards returns the server Install configured with every limit off (so
// that each document is measured in full, the worst case) and the
// pre-validation guards it added, in order.
func guards(b *testing.B, cacheSize int) (*captureServer, []graphql.OperationParameterMutator) {
	off := rampart.Unlimited
	srv := &captureServer{es: gqltest.New()}
	err := gqlsec.Install(srv, gqlsec.Config{
		Limits: gqlsec.OperationLimits{Depth: off, Aliases: off, RootFields: off, Fields: off,
			DirectivesPerField: off, Directives: off, Tokens: 20000, DocumentBytes: off},
		QueryCacheSize: cacheSize,
		Cost:           gqlsec.CostLimit{Max: off},
		Introspection:  func(*auth.Principal) bool { return true },
	})
	if err != nil {
		b.Fatal(err)
	}
	var out []graphql.OperationParameterMutator
	for _, e := range srv.exts {
		if m, ok := e.(graphql.OperationParameterMutator); ok {
			out = append(out, m)
		}
	}
	return srv, out
}

// runGuards runs the guards on q and then gqlgen's query cache lookup,
// which must hit: gqlgen then neither parses nor validates q.
func runGuards(b *testing.B, srv *captureServer, gs []graphql.OperationParameterMutator, q string) {
	ctx := graphql.WithOperationContext(context.Background(), &graphql.OperationContext{})
	params := &graphql.RawParams{Query: q}
	for _, g := range gs {
		if err := g.MutateOperationParameters(ctx, params); err != nil {
			b.Fatal(err)
		}
	}
	if _, ok := srv.cache.Get(ctx, q); !ok {
		b.Fatal("gqlgen's query cache misses a document the guards passed")
	}
}

// BenchmarkGuards is everything a server hardened by Install does before
// executing a document, to compare with BenchmarkBaselineParseValidate
// (what a bare gqlgen server does): the guards (parse with the token limit,
// one analysis, every check) and gqlgen's query cache lookup, for a
// document seen for the first time and for a repeated one. For a
// first-seen document that includes the validation the guards now do on
// gqlgen's behalf (gqlgen finds the document in its cache and neither
// parses nor validates it), so first_seen ÷ baseline − 1 is Rampart's
// extra cost. first_seen alternates two spellings of the document (one
// with a trailing newline) in a one-entry cache, so every request misses.
func BenchmarkGuards(b *testing.B) {
	for _, mode := range []struct {
		name  string
		cache int
	}{{"first_seen", 1}, {"repeated", 0}} {
		srv, gs := guards(b, mode.cache)
		for _, d := range benchDocs() {
			qs := [2]string{d.q, d.q + "\n"}
			b.Run(mode.name+"/"+d.name, func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					runGuards(b, srv, gs, qs[i&1])
					if mode.cache == 1 {
						i++
					}
				}
			})
		}
	}
}

// execServer lets Install equip a bare gqlgen executor.
type execServer struct{ *executor.Executor }

func (execServer) ServeHTTP(http.ResponseWriter, *http.Request) {}
func (s execServer) SetValidationRulesFn(f func() *rules.Rules) { s.SetDefaultRulesFn(f) }

// BenchmarkFirstSeen is the like-for-like comparison for a document seen
// for the first time: what gqlgen's executor does before it executes a
// document (CreateOperationContext: parse, then validate — gqlgen builds
// and sorts its validation rules for every document), bare and with
// Install (every limit off, so each document is measured in full, the
// worst case; the guards validate on gqlgen's behalf with rules built
// once), each with a query cache of the same size. Each iteration reads a text not seen before (a numbered comment
// appended), so neither side answers from a cache.
func BenchmarkFirstSeen(b *testing.B) {
	// A fresh executor per run: what one side's cache holds must not stay
	// on the heap (for the garbage collector to scan) while the other runs.
	executors := map[string]func() *executor.Executor{
		"bare_gqlgen": func() *executor.Executor {
			e := executor.New(gqltest.New())
			// As handler.NewDefaultServer has it, and as large as Install's.
			e.SetQueryCache(lru.New[*ast.QueryDocument](gqlsec.DefaultQueryCacheSize))
			return e
		},
		"hardened": func() *executor.Executor {
			off := rampart.Unlimited
			e := executor.New(gqltest.New())
			err := gqlsec.Install(execServer{e}, gqlsec.Config{
				Limits: gqlsec.OperationLimits{Depth: off, Aliases: off, RootFields: off, Fields: off,
					DirectivesPerField: off, Directives: off, Tokens: 20000, DocumentBytes: off},
				Cost:          gqlsec.CostLimit{Max: off},
				Introspection: func(*auth.Principal) bool { return true },
			})
			if err != nil {
				b.Fatal(err)
			}
			return e
		},
	}
	for _, d := range benchDocs() {
		for _, side := range []string{"bare_gqlgen", "hardened"} {
			i := 0 // across the runs of the sub-benchmark: every text is new
			b.Run(d.name+"/"+side, func(b *testing.B) {
				e := executors[side]()
				runtime.GC()
				ctx := graphql.StartOperationTrace(context.Background())
				b.ReportAllocs()
				for b.Loop() {
					i++
					q := d.q + "\n# " + strconv.Itoa(i)
					if _, errs := e.CreateOperationContext(ctx, &graphql.RawParams{Query: q}); len(errs) > 0 {
						b.Fatal(errs)
					}
				}
			})
		}
	}
}

// BenchmarkServer compares a bare gqlgen server with one hardened by
// Handler on the typical query, end to end over HTTP (in memory). Every
// server has a query cache (gqlgen's NewDefaultServer sets one up; Handler
// shares its own with the guards), so the rows compare like with like: the
// guards' overhead on a repeated document, not the cache's saving.
func BenchmarkServer(b *testing.B) {
	body := mustJSON(map[string]any{"query": gqltest.Typical})
	bare := func() http.Handler {
		srv := handler.New(gqltest.New())
		srv.AddTransport(transport.POST{})
		srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
		return srv
	}
	gqlgenLimit := func() http.Handler {
		srv := handler.New(gqltest.New())
		srv.AddTransport(transport.POST{})
		srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
		srv.Use(extension.FixedComplexityLimit(5000))
		return srv
	}
	rampart := func() http.Handler {
		srv := handler.New(gqltest.New())
		srv.AddTransport(transport.POST{})
		h, err := gqlsec.Handler(srv, gqlsec.Config{})
		if err != nil {
			b.Fatal(err)
		}
		return h
	}
	for _, s := range []struct {
		name string
		h    http.Handler
	}{{"bare_gqlgen", bare()}, {"gqlgen_FixedComplexityLimit", gqlgenLimit()}, {"rampart_Handler", rampart()}} {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				s.h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatal(rec.Body.String())
				}
			}
		})
	}
}
