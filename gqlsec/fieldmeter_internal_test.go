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
// field: the operation's field middleware wrapped by meterFields (the
// field context lookup, the weight lookup and, for a list of objects, the
// length and the atomic add) beside the unwrapped middleware. gqlgen adds
// nothing of its own (no interceptor closure).
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
	plain := func(ctx context.Context, next graphql.Resolver) (any, error) { return next(ctx) }
	metered := meterFields(plain, a.NewMeter(nil))
	list := []*struct{ ID string }{{"1"}, {"2"}, {"3"}}
	for _, c := range []struct {
		name string
		f    *ast.Field
		res  any
	}{{"leaf_field", title, "t"}, {"list_field", nodes, list}} {
		ctx := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{Object: "PostConnection", Field: graphql.CollectedField{Field: c.f}})
		resolver := func(context.Context) (any, error) { return c.res, nil }
		b.Run(c.name+"/bare", func(b *testing.B) {
			for b.Loop() {
				_, _ = plain(ctx, resolver)
			}
		})
		b.Run(c.name+"/metered", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = metered(ctx, resolver)
			}
		})
	}
}

// TestMeterFieldsCountsWhatTheResolversReturned: the wrapped middleware
// runs the operation's own middleware and resolver, returns what they
// returned, and meters the field: a list field by the length it returned,
// a leaf of weight 0 not at all.
func TestMeterFieldsCountsWhatTheResolversReturned(t *testing.T) {
	t.Parallel()
	s := gqltest.Schema()
	doc, err := parser.ParseQuery(&ast.Source{Input: "{ posts(first: 3) { nodes { id title } } }"})
	if err != nil {
		t.Fatal(err)
	}
	if errs := validator.Validate(s, doc); len(errs) > 0 {
		t.Fatal(errs)
	}
	a, err := complexity.NewAnalyzer(s, complexity.Options{})
	if err != nil {
		t.Fatal(err)
	}
	nodes := doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet[0].(*ast.Field)
	title := nodes.SelectionSet[1].(*ast.Field)
	calls := 0
	inner := func(ctx context.Context, next graphql.Resolver) (any, error) { calls++; return next(ctx) }
	meter := a.NewMeter(nil)
	mw := meterFields(inner, meter)
	field := func(f *ast.Field) context.Context {
		return graphql.WithFieldContext(context.Background(), &graphql.FieldContext{Object: "PostConnection", Field: graphql.CollectedField{Field: f}})
	}
	list := []*struct{ ID string }{{"1"}, {"2"}}
	if res, err := mw(field(nodes), func(context.Context) (any, error) { return list, nil }); err != nil || len(res.([]*struct{ ID string })) != 2 {
		t.Fatalf("list field: %v, %v", res, err)
	}
	if res, _ := mw(field(title), func(context.Context) (any, error) { return "t", nil }); res != "t" {
		t.Fatalf("leaf field: %v", res)
	}
	if calls != 2 {
		t.Fatalf("inner middleware ran %d times, want 2", calls)
	}
	if got := meter.Cost(); got != 2 {
		t.Fatalf("metered cost = %d, want 2 (two Post nodes of weight 1, a String leaf of weight 0)", got)
	}
}
