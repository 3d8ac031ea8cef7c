package gqlsec_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/gqlsec"
)

// failingSchema answers every operation with a resolver error carrying
// internal detail.
func failingSchema() graphql.ExecutableSchema {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: "type Query { a: String }"})
	return &graphql.ExecutableSchemaMock{
		SchemaFunc:     func() *ast.Schema { return schema },
		ComplexityFunc: func(context.Context, string, string, int, map[string]any) (int, bool) { return 0, false },
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			graphql.AddError(ctx, errors.New("dial tcp 10.0.0.7:5432: connection refused"))
			return graphql.OneShot(&graphql.Response{Data: []byte(`{"a":null}`)})
		},
	}
}

// TestNilLoggerMeansDefault: with Config.Logger nil, the detail behind a
// masked "internal error" goes to slog.Default(); an explicit discard
// logger keeps it out. Not parallel: it swaps the process's default logger.
func TestNilLoggerMeansDefault(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	for _, tc := range []struct {
		name   string
		logger *slog.Logger
		logged bool
	}{
		{"nil logger", nil, true},
		{"discard logger", slog.New(slog.DiscardHandler), false},
	} {
		buf.Reset()
		srv := handler.New(failingSchema())
		srv.AddTransport(transport.POST{})
		h, err := gqlsec.Handler(srv, gqlsec.Config{Logger: tc.logger})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(`{"query":"{ a }"}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if body := rec.Body.String(); !strings.Contains(body, rampart.CodeInternal) || strings.Contains(body, "10.0.0.7") {
			t.Fatalf("%s: body %s: want the masked internal error only", tc.name, body)
		}
		if got := strings.Contains(buf.String(), "10.0.0.7:5432"); got != tc.logged {
			t.Errorf("%s: detail in slog.Default() = %v, want %v; log: %q", tc.name, got, tc.logged, buf.String())
		}
	}
}
