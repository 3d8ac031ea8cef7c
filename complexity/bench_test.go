package complexity_test

import (
	"context"
	"fmt"
	"testing"

	gqlgencomplexity "github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/rampart-go/rampart/complexity"
	"github.com/rampart-go/rampart/internal/gqltest"
)

// benchDocs are the documents of the README's table; all are valid, so
// gqlparser's validation and gqlgen's complexity can run on them too.
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

func mustParse(b *testing.B, q string) *ast.QueryDocument {
	b.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		b.Fatal(err)
	}
	return doc
}

// BenchmarkParseValidate is the baseline: what gqlgen itself spends on a
// document before running it (gqlparser parse + validate).
func BenchmarkParseValidate(b *testing.B) {
	s := gqltest.Schema()
	for _, d := range benchDocs() {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				doc, err := parser.ParseQuery(&ast.Source{Input: d.q})
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

// BenchmarkAnalyze measures Analyze alone on a parsed document.
func BenchmarkAnalyze(b *testing.B) {
	a := analyzer(b, complexity.Options{})
	for _, d := range benchDocs() {
		doc := mustParse(b, d.q)
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := a.Analyze(doc, "", nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGqlgenComplexity is gqlgen's extension.FixedComplexityLimit
// arithmetic (complexity.Calculate) on validated documents. It expands
// fragments without memoization, so the fragment bomb is left out here
// (10^10 fields); see BenchmarkFragmentBombSeries.
func BenchmarkGqlgenComplexity(b *testing.B) {
	es := gqltest.New()
	for _, d := range benchDocs() {
		if d.name == "fragment_bomb_10x10" {
			continue
		}
		doc := mustParse(b, d.q)
		if errs := validator.Validate(es.Schema(), doc); len(errs) > 0 {
			b.Fatal(errs)
		}
		op := doc.Operations[0]
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				gqlgencomplexity.Calculate(context.Background(), es, op, nil)
			}
		})
	}
}

// BenchmarkFragmentBombSeries shows Analyze growing linearly with the
// number of fragment levels (10 spreads each), while gqlgen's Calculate
// grows 10× per level.
func BenchmarkFragmentBombSeries(b *testing.B) {
	a := analyzer(b, complexity.Options{})
	es := gqltest.New()
	for _, levels := range []int{1, 2, 3, 4, 5, 10, 20, 40} {
		doc := mustParse(b, gqltest.FragmentBomb(levels, 10))
		b.Run(fmt.Sprintf("rampart/levels=%d", levels), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = a.Analyze(doc, "", nil)
			}
		})
		if levels > 5 {
			continue
		}
		if errs := validator.Validate(es.Schema(), doc); len(errs) > 0 {
			b.Fatal(errs)
		}
		b.Run(fmt.Sprintf("gqlgen/levels=%d", levels), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				gqlgencomplexity.Calculate(context.Background(), es, doc.Operations[0], nil)
			}
		})
	}
}
