package gqlsec_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/complexity"
	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/internal/gqltest"
	"github.com/rampart-go/rampart/reqctx"

	"github.com/rampart-go/rampart/internal/golden"
)

var (
	admin = &auth.Principal{Subject: "admin-1", Roles: []string{"ADMIN"}}
	user  = &auth.Principal{Subject: "user-1", Roles: []string{"USER"}}
)

// logBuffer is a concurrency-safe slog sink.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type harness struct {
	es  *gqltest.Executable
	h   http.Handler
	log *logBuffer
}

// newHarness builds a gqlgen server over gqltest with cfg installed through
// gqlsec.Handler. A nil cfg.Introspection is replaced by AllowRoles("ADMIN")
// unless noAdmin is set.
func newHarness(t testing.TB, cfg gqlsec.Config) *harness {
	t.Helper()
	es := gqltest.New()
	srv := handler.New(es)
	srv.AddTransport(transport.POST{})
	srv.AddTransport(transport.GET{})
	lb := &logBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(lb, nil))
	}
	h, err := gqlsec.Handler(srv, cfg)
	if err != nil {
		t.Fatalf("Handler: %v", err)
	}
	return &harness{es: es, h: h, log: lb}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("bad JSON %q: %v", r.body, err)
	}
	return m
}

// code returns errors[0].extensions.code.
func (r response) code(t testing.TB) string {
	t.Helper()
	errs, _ := r.json(t)["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	ext, _ := errs[0].(map[string]any)["extensions"].(map[string]any)
	c, _ := ext["code"].(string)
	return c
}

func (h *harness) do(t testing.TB, p *auth.Principal, body string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	// As modern clients (Apollo Client, urql) do: 4xx for refused
	// requests. TestLegacyJSONGets200 covers clients that accept only
	// application/json.
	req.Header.Set("Accept", "application/graphql-response+json, application/json;q=0.9")
	ctx := auth.WithPrincipal(req.Context(), p)
	ctx = reqctx.WithRequestID(ctx, "req-1")
	ctx = reqctx.WithClientIP(ctx, netip.MustParseAddr("203.0.113.9"))
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req.WithContext(ctx))
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

func (h *harness) query(t testing.TB, p *auth.Principal, q string) response {
	t.Helper()
	return h.do(t, p, mustJSON(map[string]any{"query": q}))
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// goldenResponse compares status and body with testdata/<name>.golden.
func goldenResponse(t *testing.T, name string, r response) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, r.body, "", "  "); err != nil {
		pretty.Write(r.body)
	}
	got := "status: " + http.StatusText(r.status) + " (" + strconv.Itoa(r.status) + ")\n" + pretty.String() + "\n"
	golden.Check(t, name, []byte(got))
}

func complexityOptions(listSize int) complexity.Options {
	return complexity.Options{DefaultListSize: listSize}
}
