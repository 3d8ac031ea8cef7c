package gqlsec_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/internal/gqltest"
)

// recordingCache wraps the query cache Install gives gqlgen and counts
// gqlgen's lookups: a miss is followed by gqlgen's own parse and
// validation, a hit skips both.
type recordingCache struct {
	next graphql.Cache[*ast.QueryDocument]

	mu                 sync.Mutex
	hits, misses, adds int
}

func (r *recordingCache) Get(ctx context.Context, q string) (*ast.QueryDocument, bool) {
	doc, ok := r.next.Get(ctx, q)
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok {
		r.hits++
	} else {
		r.misses++
	}
	return doc, ok
}

func (r *recordingCache) Add(ctx context.Context, q string, doc *ast.QueryDocument) {
	r.mu.Lock()
	r.adds++
	r.mu.Unlock()
	r.next.Add(ctx, q, doc)
}

func (r *recordingCache) counts() (hits, misses, adds int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits, r.misses, r.adds
}

// recordingServer is a *handler.Server whose query cache is recorded.
type recordingServer struct {
	*handler.Server
	cache *recordingCache
}

func (s *recordingServer) SetQueryCache(c graphql.Cache[*ast.QueryDocument]) {
	s.cache = &recordingCache{next: c}
	s.Server.SetQueryCache(s.cache)
}

func newRecordingHarness(t *testing.T, cfg gqlsec.Config) (*harness, *recordingCache) {
	t.Helper()
	es := gqltest.New()
	srv := &recordingServer{Server: handler.New(es)}
	srv.AddTransport(transport.POST{})
	cfg.Logger = slog.New(slog.DiscardHandler)
	h, err := gqlsec.Handler(srv, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if srv.cache == nil {
		t.Fatal("Install did not set a query cache")
	}
	return &harness{es: es, h: h, log: &logBuffer{}}, srv.cache
}

// TestFirstSeenDocumentParsedOnce: gqlgen finds a first-seen benign
// document in its query cache (the guards parsed and validated it), so it
// neither parses nor validates it again; the cache is bounded by QueryCacheSize.
func TestFirstSeenDocumentParsedOnce(t *testing.T) {
	t.Parallel()
	h, rec := newRecordingHarness(t, gqlsec.Config{QueryCacheSize: 2})
	for i, q := range []string{gqltest.Typical, gqltest.Typical, gqltest.Deep(3), gqltest.Deep(4), gqltest.Typical} {
		if r := h.query(t, user, q); r.status != http.StatusOK || r.code(t) != "" {
			t.Fatalf("request %d: %d %s", i, r.status, r.body)
		}
	}
	if hits, misses, adds := rec.counts(); hits != 5 || misses != 0 || adds != 0 {
		t.Fatalf("gqlgen cache: %d hits, %d misses, %d adds; want 5 hits (no gqlgen parse)", hits, misses, adds)
	}
}

// TestInvalidDocumentKeepsGqlgensErrors: documents that fail validation
// are not handed to gqlgen, which parses and validates them itself, with
// its status and code, first seen and repeated, suggestions per caller.
func TestInvalidDocumentKeepsGqlgensErrors(t *testing.T) {
	t.Parallel()
	h, rec := newRecordingHarness(t, gqlsec.Config{Introspection: gqlsec.AllowRoles("ADMIN")})
	const misspelled = `{ me { nmae } }`
	for i := range 2 {
		anon := h.query(t, nil, misspelled)
		if anon.status != http.StatusBadRequest || anon.code(t) != "GRAPHQL_VALIDATION_FAILED" ||
			strings.Contains(string(anon.body), "Did you mean") {
			t.Fatalf("anonymous %d: %d %s", i, anon.status, anon.body)
		}
		adm := h.query(t, admin, misspelled)
		if adm.status != http.StatusBadRequest || !strings.Contains(string(adm.body), `Did you mean \"name\"?`) {
			t.Fatalf("admin %d: %d %s", i, adm.status, adm.body)
		}
	}
	if r := h.query(t, nil, `{ me { name`); r.status != http.StatusBadRequest || r.code(t) != "GRAPHQL_PARSE_FAILED" {
		t.Fatalf("parse error: %d %s", r.status, r.body)
	}
	if hits, misses, adds := rec.counts(); hits != 0 || misses != 5 || adds != 0 {
		t.Fatalf("gqlgen cache: %d hits, %d misses, %d adds; want 5 misses", hits, misses, adds)
	}
}

// TestCachedDocumentStillGuardedPerCaller: a document cached after an
// admin ran it (gqlgen would skip parse and validation) is still refused
// for an anonymous caller sending the same text, because the guards run
// on every request before gqlgen's cache lookup.
func TestCachedDocumentStillGuardedPerCaller(t *testing.T) {
	t.Parallel()
	cfg := gqlsec.Config{
		Introspection: gqlsec.AllowRoles("ADMIN"),
		Limits: gqlsec.OperationLimits{For: func(p *auth.Principal) gqlsec.OperationLimits {
			if p.HasRole("ADMIN") {
				return gqlsec.OperationLimits{Depth: 25, Tokens: rampart.Unlimited}
			}
			return gqlsec.OperationLimits{}
		}},
	}
	for _, tc := range []struct {
		name, q string
		status  int
		code    string
	}{
		{"introspection_query", introspection.Query, http.StatusForbidden, gqlsec.CodeIntrospection},
		{"depth_20_within_admin_limit", gqltest.Deep(20), http.StatusBadRequest, gqlsec.CodeDepthLimit},
		{"depth_16_past_default", gqltest.Deep(16), http.StatusBadRequest, gqlsec.CodeDepthLimit},
		{"tokens_20000_admin_unlimited", gqltest.Echo(20000), http.StatusBadRequest, gqlsec.CodeTokenLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, rec := newRecordingHarness(t, cfg)
			for i := range 2 {
				if r := h.query(t, admin, tc.q); r.status != http.StatusOK || r.code(t) != "" {
					t.Fatalf("admin %d: %d %.300s", i, r.status, r.body)
				}
			}
			if hits, _, _ := rec.counts(); hits < 1 {
				t.Fatalf("document not cached for gqlgen after the admin's requests (%d hits)", hits)
			}
			for _, p := range []*auth.Principal{nil, user} {
				if r := h.query(t, p, tc.q); r.status != tc.status || r.code(t) != tc.code {
					t.Fatalf("%v: %d %.300s; want %d %s", p, r.status, r.body, tc.status, tc.code)
				}
			}
			if r := h.query(t, admin, tc.q); r.status != http.StatusOK {
				t.Fatalf("admin after refusals: %d %.300s", r.status, r.body)
			}
		})
	}
}

// TestRefusedDocumentNotCached: a document one guard refuses is not
// handed to gqlgen, so an allowed caller's first request still finds it
// through the guards' own parse.
func TestRefusedDocumentNotCached(t *testing.T) {
	t.Parallel()
	h, rec := newRecordingHarness(t, gqlsec.Config{Introspection: gqlsec.AllowRoles("ADMIN")})
	if r := h.query(t, nil, introspection.Query); r.status != http.StatusForbidden {
		t.Fatalf("anonymous: %d %.300s", r.status, r.body)
	}
	if hits, misses, _ := rec.counts(); hits+misses != 0 {
		t.Fatalf("a refused request reached gqlgen's cache (%d hits, %d misses)", hits, misses)
	}
	if r := h.query(t, admin, introspection.Query); r.status != http.StatusOK {
		t.Fatalf("admin: %d %.300s", r.status, r.body)
	}
	if hits, misses, _ := rec.counts(); hits != 1 || misses != 0 {
		t.Fatalf("gqlgen cache: %d hits, %d misses; want 1 hit", hits, misses)
	}
}
