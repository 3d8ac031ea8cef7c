package gqltest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/introspection"
)

func doPost(t *testing.T, h http.Handler, query string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("bad JSON %q: %v", rec.Body.String(), err)
	}
	return out
}

func TestExecutableCountsResolvers(t *testing.T) {
	t.Parallel()
	es := New()
	srv := handler.New(es)
	srv.AddTransport(transport.POST{})
	out := doPost(t, srv, `{ me { name posts(first: 2) { nodes { title author { id } } } } }`)
	got, _ := json.Marshal(out)
	want := `{"data":{"me":{"name":"user1","posts":{"nodes":[{"author":{"id":"1"},"title":"title1"},{"author":{"id":"2"},"title":"title2"}]}}}}`
	if string(got) != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	// me, name, posts, nodes, 2×(title, author, id)
	if es.Resolves() != 10 || es.Execs() != 1 {
		t.Fatalf("resolves=%d execs=%d", es.Resolves(), es.Execs())
	}
}

func TestExecutableIntrospection(t *testing.T) {
	t.Parallel()
	es := New()
	srv := handler.New(es)
	srv.AddTransport(transport.POST{})
	srv.Use(extension.Introspection{})
	out := doPost(t, srv, introspection.Query)
	if out["errors"] != nil {
		t.Fatalf("errors: %v", out["errors"])
	}
	s := out["data"].(map[string]any)["__schema"].(map[string]any)
	if s["queryType"].(map[string]any)["name"] != "Query" || len(s["types"].([]any)) < 10 {
		t.Fatalf("bad schema: %v", s["queryType"])
	}
}
