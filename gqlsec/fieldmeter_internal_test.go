package gqlsec

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/rampart-go/rampart/complexity"
	"github.com/rampart-go/rampart/internal/gqltest"
)

// BenchmarkFieldMeterPerField is what ActualCost adds to each resolved
// field, beside gqlgen's own closure for one more interceptor: the
// interceptor call, the weight lookup and, for a list of objects, the
// length and the atomic add. "bare" is the resolver call alone.
func BenchmarkFieldMeterPerField(b *testing.B) {
	s := gqltest.Schema()
	doc, err := parser.ParseQuery(&ast.Source{Input: "{ posts(first: 3) { nodes { id title } } }"})
	if err != nil {
		b.Fatal(err)
	}
	if errs := validator.Validate(s, doc); len(errs) > 0 {
		b.Fatal(errs)
	}
	a, err := complexity.NewAnalyzer(s, complexity.Options{})
	if err != nil {
		b.Fatal(err)
	}
	posts := doc.Operations[0].SelectionSet[0].(*ast.Field)
	nodes := posts.SelectionSet[0].(*ast.Field)
	title := nodes.SelectionSet[1].(*ast.Field)
	m := fieldMeter{&CostLimit{analyzer: a}}
	meter := a.NewMeter(nil)
	base := context.WithValue(context.Background(), meterKey{}, meter)
	list := []*struct{ ID string }{{"1"}, {"2"}, {"3"}}
	for _, c := range []struct {
		name string
		f    *ast.Field
		res  any
	}{{"leaf_field", title, "t"}, {"list_field", nodes, list}} {
		ctx := graphql.WithFieldContext(base, &graphql.FieldContext{Object: "PostConnection", Field: graphql.CollectedField{Field: c.f}})
		resolver := func(context.Context) (any, error) { return c.res, nil }
		b.Run(c.name+"/bare", func(b *testing.B) {
			for b.Loop() {
				_, _ = resolver(ctx)
			}
		})
		b.Run(c.name+"/metered", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = m.InterceptField(ctx, resolver)
			}
		})
	}
}
