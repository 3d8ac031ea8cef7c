package gqlsec_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/internal/gqltest"
)

// Example_quickstart hardens a gqlgen server in one call and shows a
// depth attack refused before any resolver runs.
func Example_quickstart() {
	es := gqltest.New() // your generated.NewExecutableSchema(...)
	srv := handler.New(es)
	srv.AddTransport(transport.POST{})

	h, err := gqlsec.Handler(srv, gqlsec.Config{
		Introspection: gqlsec.AllowRoles("ADMIN"), // admins may introspect
	})
	if err != nil {
		panic(err) // misconfiguration stops startup
	}

	attack, _ := json.Marshal(map[string]string{"query": gqltest.Deep(17)}) // me → posts → nodes → author → … 17 deep
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(attack))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json") // as Apollo Client and urql send it
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	fmt.Println(rec.Code)
	fmt.Println(rec.Body.String())
	fmt.Println("resolvers run:", es.Resolves())
	// Output:
	// 400
	// {"errors":[{"message":"operation depth 16 exceeds the limit of 15","extensions":{"code":"DEPTH_LIMIT_EXCEEDED","limit":15,"observed":16}}]}
	// resolvers run: 0
}
