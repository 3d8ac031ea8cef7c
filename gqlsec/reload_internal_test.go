package gqlsec

import (
	"context"
	"log/slog"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/internal/gqltest"
)

// TestInFlightOperationKeepsItsConfiguration: an operation that started
// before a Reload finishes under the configuration it started with (here:
// its caller may introspect), while the next one gets the new one.
func TestInFlightOperationKeepsItsConfiguration(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	everyone := func(*auth.Principal) bool { return true }
	r := &Reloader{}
	srv := handler.New(gqltest.New())
	if err := Install(srv, Config{Logger: log, Reloader: r, Introspection: everyone}); err != nil {
		t.Fatal(err)
	}
	g := &guards{b: r.b}
	const q = "{ __schema { queryType { name } } }"
	start := func() (context.Context, *graphql.OperationContext) {
		opCtx := &graphql.OperationContext{}
		ctx := graphql.WithOperationContext(context.Background(), opCtx)
		if err := g.MutateOperationParameters(ctx, &graphql.RawParams{Query: q}); err != nil {
			return ctx, nil
		}
		doc, err := parser.ParseQuery(&ast.Source{Input: q})
		if err != nil {
			t.Fatal(err)
		}
		opCtx.Doc, opCtx.Operation, opCtx.DisableIntrospection = doc, doc.Operations[0], true
		return ctx, opCtx
	}
	ctx, inFlight := start()
	if inFlight == nil {
		t.Fatal("introspection refused before the reload")
	}
	if err := r.Reload(Config{Logger: log}); err != nil { // nobody may introspect
		t.Fatal(err)
	}
	if err := g.MutateOperationContext(ctx, inFlight); err != nil || inFlight.DisableIntrospection {
		t.Fatalf("the operation in flight lost its configuration: err %v, introspection disabled %v", err, inFlight.DisableIntrospection)
	}
	if !g.b.mayIntrospect(ctx) {
		t.Fatal("suggestions for the operation in flight follow the new configuration")
	}
	if _, next := start(); next != nil {
		t.Fatal("the next operation was not refused under the new configuration")
	}
}
