package directives_test

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/directives"
)

// Per-field overhead of each directive beside a bare resolver call. The
// directives are called the way generated code calls them.

var sink any

// benchCtx is alice, owner of p1, holding roles and scopes a, b.
func benchCtx(roles ...string) context.Context {
	ctx := auth.WithPrincipal(context.Background(), &auth.Principal{Subject: "alice", Roles: roles, Scopes: []string{"a", "b"}})
	return graphql.WithFieldContext(ctx, &graphql.FieldContext{
		Object: "Query",
		Field:  graphql.CollectedField{Field: &ast.Field{Name: "adminReport"}},
		Args:   map[string]any{"id": "p1"},
	})
}

func BenchmarkBareResolver(b *testing.B) {
	ctx := benchCtx()
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = resolver(ctx)
	}
}

func BenchmarkAuth(b *testing.B) {
	d, ctx := exampleDirectives(), benchCtx("USER", "ADMIN")
	roles, scopes := []string{"ADMIN"}, []string{"a", "b"}
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = d.Auth(ctx, nil, resolver, roles, scopes)
	}
}

func BenchmarkInterceptField(b *testing.B) {
	d, ctx := exampleDirectives(), benchCtx()
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = d.InterceptField(ctx, resolver)
	}
}

func BenchmarkOwnerLookup(b *testing.B) {
	d, ctx := exampleDirectives(), benchCtx()
	lookup := "Post"
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = d.Owner(ctx, nil, resolver, &lookup, "id")
	}
}

func BenchmarkConstraintMaxLength(b *testing.B) {
	d, ctx := exampleDirectives(), benchCtx()
	maxLength := 64
	next := func(context.Context) (any, error) { return "a reasonably short title", nil }
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = d.Constraint(ctx, nil, next, nil, &maxLength, nil, nil, nil, nil)
	}
}

func BenchmarkSanitize(b *testing.B) {
	d, ctx := exampleDirectives(), benchCtx()
	for _, policy := range []string{directives.PolicyStrict, directives.PolicyUGC} {
		b.Run(policy, func(b *testing.B) {
			next := func(context.Context) (any, error) {
				return "a <b>short</b> comment with a <a href=\"https://x.example\">link</a>", nil
			}
			b.ReportAllocs()
			for b.Loop() {
				sink, _ = d.Sanitize(ctx, nil, next, policy)
			}
		})
	}
}
