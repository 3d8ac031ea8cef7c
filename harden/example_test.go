package harden_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/harden"
)

// Example_quickstart serves a gqlgen schema behind every Rampart guard: a
// depth attack is refused before any resolver runs, a benign query passes.
//
// With Rampart's directives (graph/rampart.graphqls written by
// `go run github.com/rampart-go/rampart/cmd/rampart sdl`), add two calls:
//
//	d, err := directives.New(directives.Options{Limiter: limiter}) // the limiter of harden.Options
//	var dirs graph.DirectiveRoot; err = d.Bind(&dirs)               // then graph.Config{Directives: dirs}
//
// and pass d as harden.Options.Directives.
func Example_quickstart() {
	es := schema() // your graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}})

	verifier, err := jwt.NewVerifier(jwt.Config{
		Issuer: "https://api.example.com", Audience: "example-api",
		Keys: []jwt.Key{{ID: "k1", Secret: []byte("a random secret of at least 32 bytes!")}},
	})
	if err != nil {
		log.Fatal(err)
	}
	h, err := harden.Handler(es, harden.Options{Authenticator: verifier})
	if err != nil {
		log.Fatal(err) // misconfiguration stops startup
	}
	srv := httptest.NewServer(h) // in production: http.ListenAndServe(":8080", h)
	defer srv.Close()

	deep := "{ node " + strings.Repeat("{ next ", 28) + "{ id }" + strings.Repeat(" }", 29) // depth 30
	for _, query := range []string{deep, "{ node { id } }"} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(fmt.Sprintf(`{"query":%q}`, query)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/graphql-response+json") // as Apollo Client and urql send it
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, string(body))
	}
	// Output:
	// 400 {"errors":[{"message":"operation depth 16 exceeds the limit of 15","extensions":{"code":"DEPTH_LIMIT_EXCEEDED","limit":15,"observed":16}}]}
	// 200 {"data":{"node":{"id":"1"}}}
}

// schema stands in for the code gqlgen generates: a recursive schema whose
// executor answers every query with the same node.
func schema() graphql.ExecutableSchema {
	s := gqlparser.MustLoadSchema(&ast.Source{Input: "type Query { node: Node } type Node { id: ID! next: Node }"})
	return &graphql.ExecutableSchemaMock{
		SchemaFunc:     func() *ast.Schema { return s },
		ComplexityFunc: func(context.Context, string, string, int, map[string]any) (int, bool) { return 0, false },
		ExecFunc: func(context.Context) graphql.ResponseHandler {
			return graphql.OneShot(&graphql.Response{Data: []byte(`{"node":{"id":"1"}}`)})
		},
	}
}
