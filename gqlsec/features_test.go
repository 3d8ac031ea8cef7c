package gqlsec_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/introspection"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/internal/gqltest"
	"github.com/rampart-go/rampart/ratelimit"
)

func TestFullIntrospectionQuery(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultConfig())
	tests := []struct {
		name       string
		p          *auth.Principal
		wantStatus int
		wantCode   string
	}{
		{"admin_introspects", admin, 200, ""},
		{"user_refused", user, 403, gqlsec.CodeIntrospection},
		{"anonymous_refused", nil, 403, gqlsec.CodeIntrospection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.query(t, tt.p, introspection.Query)
			if r.status != tt.wantStatus || r.code(t) != tt.wantCode {
				t.Fatalf("status %d code %q: %.300s", r.status, r.code(t), r.body)
			}
			if tt.wantCode == "" {
				data, _ := r.json(t)["data"].(map[string]any)
				if s, _ := data["__schema"].(map[string]any); s == nil || len(s["types"].([]any)) < 10 {
					t.Fatalf("no schema in %.300s", r.body)
				}
			}
		})
	}
	t.Run("typename_always_allowed", func(t *testing.T) {
		r := h.query(t, nil, `{ __typename me { __typename } }`)
		if r.status != 200 || r.code(t) != "" {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("introspection_through_fragment_refused", func(t *testing.T) {
		r := h.query(t, nil, `{ ...Q } fragment Q on Query { __type(name: "User") { name } }`)
		if r.status != 403 || r.code(t) != gqlsec.CodeIntrospection {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

// TestIntrospectionExtensionAlone covers the post-validation path used when
// Introspection is installed without the limits.
func TestIntrospectionExtensionAlone(t *testing.T) {
	t.Parallel()
	es := gqltest.New()
	srv := handler.New(es)
	srv.AddTransport(transport.POST{})
	srv.Use(&gqlsec.Introspection{Allow: gqlsec.AllowRoles("ADMIN")})
	mw, _ := gqlsec.Middleware(gqlsec.HTTPOptions{})
	h := &harness{es: es, h: mw(srv)}
	if r := h.query(t, nil, `{ __schema { queryType { name } } }`); r.status != 403 || r.code(t) != gqlsec.CodeIntrospection {
		t.Fatalf("anonymous: %d %s", r.status, r.body)
	}
	if r := h.query(t, admin, `{ __schema { queryType { name } } }`); r.status != 200 || !strings.Contains(string(r.body), `"Query"`) {
		t.Fatalf("admin: %d %s", r.status, r.body)
	}
}

func TestSuggestionsWithheld(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultConfig())
	const misspelled = `{ me { nmae } }`
	anon := h.query(t, nil, misspelled)
	if strings.Contains(string(anon.body), "Did you mean") || !strings.Contains(string(anon.body), `Cannot query field \"nmae\" on type \"User\".`) {
		t.Fatalf("anonymous got %s", anon.body)
	}
	goldenResponse(t, "suggestion_anonymous", anon)
	adm := h.query(t, admin, misspelled)
	if !strings.Contains(string(adm.body), `Did you mean \"name\"?`) {
		t.Fatalf("admin got %s", adm.body)
	}
}

func TestMaskErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultConfig())
	tests := []struct {
		name, query, wantCode, wantMsg string
	}{
		{"internal_error_masked", `{ fail }`, rampart.CodeInternal, gqlsec.InternalMessage},
		{"panic_masked", `{ boom }`, rampart.CodeInternal, gqlsec.InternalMessage},
		{"public_error_kept", `{ publicFail }`, "NOT_FOUND", "post not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.query(t, nil, tt.query)
			if r.status != 200 || r.code(t) != tt.wantCode || !strings.Contains(string(r.body), tt.wantMsg) {
				t.Fatalf("%d %s", r.status, r.body)
			}
			for _, leak := range []string{"hunter2", ".go", "goroutine", "/srv/"} {
				if strings.Contains(string(r.body), leak) {
					t.Fatalf("response leaks %q: %s", leak, r.body)
				}
			}
			goldenResponse(t, tt.name, r)
		})
	}
	logs := h.log.String()
	if !strings.Contains(logs, "hunter2") || !strings.Contains(logs, "boom") || !strings.Contains(logs, `"request_id":"req-1"`) {
		t.Fatalf("full errors not logged: %s", logs)
	}
}

func TestMaskErrorsUnit(t *testing.T) {
	t.Parallel()
	mask := gqlsec.MaskErrors(nil)
	if got := mask(context.Background(), gqlsec.Public("FORBIDDEN", "no")); got.Message != "no" || got.Extensions["code"] != "FORBIDDEN" {
		t.Fatalf("public: %+v", got)
	}
	wrapped := errors.Join(errors.New("ctx"), gqlsec.Public("FORBIDDEN", "no"))
	if got := mask(context.Background(), wrapped); got.Extensions["code"] != "FORBIDDEN" {
		t.Fatalf("wrapped public: %+v", got)
	}
	if got := mask(context.Background(), errors.New("pq: password authentication failed")); got.Message != gqlsec.InternalMessage {
		t.Fatalf("internal: %+v", got)
	}
	if mask(context.Background(), nil) != nil {
		t.Fatal("nil error presented")
	}
}

func TestCostExtension(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gqlsec.Config{Cost: gqlsec.CostLimit{ReportCost: true}})
	r := h.query(t, nil, `{ posts(first: 2) { nodes { id } } }`)
	cost, _ := r.json(t)["extensions"].(map[string]any)["cost"].(map[string]any)
	if r.status != 200 || cost["requestedQueryCost"] != float64(3) || cost["maximumAvailable"] != float64(5000) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	over := h.query(t, nil, `{ posts(first: 9000) { nodes { id } } }`)
	if over.status != 400 || over.code(t) != gqlsec.CodeCostLimit {
		t.Fatalf("%d %s", over.status, over.body)
	}
	goldenResponse(t, "cost_limit_with_extension", over)
}

// bucket is a minimal ratelimit.Limiter for tests: capacity tokens, never
// refilled.
type bucket struct {
	mu   sync.Mutex
	left map[string]int
	err  error
}

var _ ratelimit.Limiter = (*bucket)(nil)

func (b *bucket) Allow(_ context.Context, key string, rate ratelimit.Rate, n int) (ratelimit.Decision, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return ratelimit.Decision{}, b.err
	}
	left, ok := b.left[key]
	if !ok {
		left = rate.Limit
	}
	d := ratelimit.Decision{Limit: rate.Limit}
	if n <= left {
		left -= n
		d.Allowed = true
	} else {
		d.RetryAfter = 3 * time.Second
	}
	b.left[key] = left
	d.Remaining = left
	return d, nil
}

func TestCostBudget(t *testing.T) {
	t.Parallel()
	b := &bucket{left: map[string]int{}}
	h := newHarness(t, gqlsec.Config{Cost: gqlsec.CostLimit{Budget: b, BudgetRate: ratelimit.Rate{Limit: 10, Period: time.Second}}})
	const q = `{ posts(first: 5) { nodes { id } } }` // cost 6
	first := h.query(t, user, q)
	cost, _ := first.json(t)["extensions"].(map[string]any)["cost"].(map[string]any)
	ts, _ := cost["throttleStatus"].(map[string]any)
	if first.status != 200 || ts["currentlyAvailable"] != float64(4) || ts["maximumAvailable"] != float64(10) || ts["restoreRate"] != float64(10) {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	second := h.query(t, user, q)
	if second.status != 429 || second.code(t) != gqlsec.CodeThrottled || second.header.Get("Retry-After") != "3" {
		t.Fatalf("second: %d %v %s", second.status, second.header, second.body)
	}
	goldenResponse(t, "cost_budget_throttled", second)
	if other := h.query(t, admin, q); other.status != 200 {
		t.Fatalf("budgets are per caller: %d %s", other.status, other.body)
	}
	b.err = ratelimit.ErrBackend
	if down := h.query(t, admin, q); down.status != 429 || down.code(t) != gqlsec.CodeThrottled {
		t.Fatalf("backend down must fail closed: %d %s", down.status, down.body)
	}
	if h.es.Execs() != 2 {
		t.Fatalf("execs = %d, want 2", h.es.Execs())
	}
}

func TestBatching(t *testing.T) {
	t.Parallel()
	op := mustJSON(map[string]any{"query": "{ tags }"})
	h := newHarness(t, gqlsec.Config{HTTP: gqlsec.HTTPOptions{MaxBatch: 2}})
	ok := h.do(t, nil, "["+op+","+mustJSON(map[string]any{"query": gqltest.Deep(40)})+"]")
	if ok.status != 200 || !strings.HasPrefix(string(ok.body), `[{"data":{"tags":["go","graphql"]}},{"errors":[{"message":"operation depth 16 exceeds the limit of 15`) {
		t.Fatalf("batch of 2: %d %s", ok.status, ok.body)
	}
	over := h.do(t, nil, "["+op+","+op+","+op+"]")
	if over.status != 400 || over.code(t) != gqlsec.CodeBatchLimit {
		t.Fatalf("batch of 3: %d %s", over.status, over.body)
	}
	if h.es.Execs() != 1 {
		t.Fatalf("execs = %d", h.es.Execs())
	}
	if single := h.do(t, nil, "  \n"+op); single.status != 200 {
		t.Fatalf("single: %d %s", single.status, single.body)
	}
}

func TestTrustedDocuments(t *testing.T) {
	t.Parallel()
	const doc = `query Me { me { id name } }`
	apollo := `{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id":"` + gqlsec.Hash(doc) + `","body":` + mustJSON(doc) + `,"name":"Me","type":"query"}]}`
	relay := `{"` + gqlsec.Hash(doc) + `":` + mustJSON(doc) + `}`
	for name, manifest := range map[string]string{"apollo": apollo, "relay": relay} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			store, err := gqlsec.ParseManifest([]byte(manifest))
			if err != nil || store.Len() != 1 {
				t.Fatalf("ParseManifest: %v", err)
			}
			h := newHarness(t, gqlsec.Config{TrustedDocuments: &gqlsec.TrustedDocuments{Store: store, AllowArbitrary: gqlsec.AllowRoles("ADMIN")}})
			byHash := mustJSON(map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": gqlsec.Hash(doc)}}})
			unknownHash := strings.Replace(byHash, gqlsec.Hash(doc)[:8], "00000000", 1)
			tests := []struct {
				name       string
				p          *auth.Principal
				body       string
				wantStatus int
				wantCode   string
			}{
				{"hash_only_runs", nil, byHash, 200, ""},
				{"trusted_document_runs", nil, mustJSON(map[string]any{"query": doc}), 200, ""},
				{"unknown_hash_refused", nil, unknownHash, 400, gqlsec.CodePersistedNotFound},
				{"unknown_document_refused", nil, mustJSON(map[string]any{"query": "{ me { email } }"}), 400, gqlsec.CodePersistedRequired},
				{"hash_mismatch_refused", nil, mustJSON(map[string]any{"query": "{ tags }", "extensions": map[string]any{"persistedQuery": map[string]any{"sha256Hash": gqlsec.Hash(doc)}}}), 400, gqlsec.CodePersistedMismatch},
				{"admin_arbitrary_document_runs", admin, mustJSON(map[string]any{"query": "{ tags }"}), 200, ""},
			}
			for _, tt := range tests {
				r := h.do(t, tt.p, tt.body)
				if r.status != tt.wantStatus || r.code(t) != tt.wantCode {
					t.Errorf("%s: %d %s", tt.name, r.status, r.body)
				}
				if name == "apollo" && tt.wantCode != "" {
					goldenResponse(t, "trusted_"+tt.name, r)
				}
			}
		})
	}
}

func TestParseManifestRejects(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"hash_mismatch":    `{"` + gqlsec.Hash("{ a }") + `":"{ b }"}`,
		"wrong_format":     `{"format":"other","version":1,"operations":[]}`,
		"wrong_version":    `{"format":"apollo-persisted-query-manifest","version":2,"operations":[]}`,
		"empty":            `{}`,
		"not_json":         `[`,
		"relay_non_string": `{"abc": 1}`,
	}
	for name, m := range tests {
		if _, err := gqlsec.ParseManifest([]byte(m)); !errors.Is(err, gqlsec.ErrManifest) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestInstallRejectsMisconfiguration(t *testing.T) {
	t.Parallel()
	tests := map[string]gqlsec.Config{
		"negative_depth":        {Limits: gqlsec.OperationLimits{Depth: -2}},
		"negative_cost":         {Cost: gqlsec.CostLimit{Max: -5}},
		"budget_without_rate":   {Cost: gqlsec.CostLimit{Budget: &bucket{}}},
		"trusted_without_store": {TrustedDocuments: &gqlsec.TrustedDocuments{}},
		"negative_batch":        {HTTP: gqlsec.HTTPOptions{MaxBatch: -1}},
		"negative_list_size":    {Analysis: complexityOptions(-1)},
	}
	for name, cfg := range tests {
		srv := handler.New(gqltest.New())
		if _, err := gqlsec.Handler(srv, cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := gqlsec.Install(nil, gqlsec.Config{}); !errors.Is(err, rampart.ErrConfig) {
		t.Errorf("nil server: %v", err)
	}
}

// TestWithoutMiddlewareStatusIsGqlgens pins what gqlgen does on its own
// with an extension's error: 200 (it is not a registered protocol error).
// This is why Middleware exists.
func TestWithoutMiddlewareStatusIsGqlgens(t *testing.T) {
	t.Parallel()
	es := gqltest.New()
	srv := handler.New(es)
	srv.AddTransport(transport.POST{})
	if err := gqlsec.Install(srv, gqlsec.Config{}); err != nil {
		t.Fatal(err)
	}
	h := &harness{es: es, h: srv}
	r := h.query(t, nil, gqltest.Deep(20))
	if r.status != http.StatusOK || r.code(t) != gqlsec.CodeDepthLimit || es.Execs() != 0 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestAuditRecord(t *testing.T) {
	t.Parallel()
	h := newHarness(t, defaultConfig())
	body := mustJSON(map[string]any{
		"query":         "query Deep " + gqltest.Deep(20),
		"operationName": "Deep",
		"variables":     map[string]any{"token": "s3cret-variable"},
	})
	r := h.do(t, user, body)
	if r.code(t) != gqlsec.CodeDepthLimit {
		t.Fatalf("%s", r.body)
	}
	logs := h.log.String()
	for _, want := range []string{`"code":"DEPTH_LIMIT_EXCEEDED"`, `"subject":"user-1"`, `"client_ip":"203.0.113.9"`, `"operation":"Deep"`, `"request_id":"req-1"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("audit record lacks %s: %s", want, logs)
		}
	}
	for _, leak := range []string{"s3cret-variable", "posts(first"} {
		if strings.Contains(logs, leak) {
			t.Errorf("audit record leaks %q", leak)
		}
	}
	if strings.Count(logs, "graphql operation rejected") != 1 {
		t.Errorf("want exactly one record: %s", logs)
	}
}

func TestConcealLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gqlsec.Config{ConcealLimits: func(p *auth.Principal) bool { return p.Anonymous() }})
	anon := h.query(t, nil, gqltest.Deep(16))
	if strings.Contains(string(anon.body), `"limit"`) || strings.Contains(string(anon.body), `"observed"`) || anon.code(t) != gqlsec.CodeDepthLimit {
		t.Fatalf("anonymous sees figures: %s", anon.body)
	}
	goldenResponse(t, "depth_concealed", anon)
	if u := h.query(t, user, gqltest.Deep(16)); !strings.Contains(string(u.body), `"limit":15`) {
		t.Fatalf("user should see figures: %s", u.body)
	}
}

func TestPerCallerLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gqlsec.Config{Introspection: gqlsec.AllowRoles("ADMIN"), Limits: gqlsec.OperationLimits{
		For: func(p *auth.Principal) gqlsec.OperationLimits {
			if p.HasRole("ADMIN") {
				return gqlsec.OperationLimits{Depth: 30}
			}
			return gqlsec.OperationLimits{}
		},
	}})
	if r := h.query(t, admin, gqltest.Deep(30)); r.status != 200 || r.code(t) != "" {
		t.Fatalf("admin at 30: %d %s", r.status, r.body)
	}
	if r := h.query(t, admin, gqltest.Deep(31)); r.code(t) != gqlsec.CodeDepthLimit {
		t.Fatalf("admin at 31: %s", r.body)
	}
	if r := h.query(t, user, gqltest.Deep(16)); r.code(t) != gqlsec.CodeDepthLimit {
		t.Fatalf("user at 16: %s", r.body)
	}
}

// TestDocumentCacheKeepsTokenLimits: a document an admin may send (no token
// limit) is cached, and still refused for an anonymous caller.
func TestDocumentCacheKeepsTokenLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, gqlsec.Config{Limits: gqlsec.OperationLimits{For: func(p *auth.Principal) gqlsec.OperationLimits {
		if p.HasRole("ADMIN") {
			return gqlsec.OperationLimits{Tokens: rampart.Unlimited}
		}
		return gqlsec.OperationLimits{}
	}}})
	big := gqltest.Echo(20000)
	for range 2 {
		if r := h.query(t, admin, big); r.status != 200 || r.code(t) != "" {
			t.Fatalf("admin: %d %.200s", r.status, r.body)
		}
		if r := h.query(t, nil, big); r.status != 400 || r.code(t) != gqlsec.CodeTokenLimit {
			t.Fatalf("anonymous: %d %.200s", r.status, r.body)
		}
	}
}

// TestCostBudgetRefills spends a real ratelimit.Memory budget (injected
// clock) until THROTTLED, then shows it refilling at BudgetRate.
func TestCostBudgetRefills(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		now = time.Unix(1_700_000_000, 0)
	)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	mem, err := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, gqlsec.Config{Cost: gqlsec.CostLimit{Budget: mem, BudgetRate: ratelimit.Rate{Limit: 12, Period: time.Minute}}})
	const q = `{ posts(first: 5) { nodes { id } } }` // cost 6
	for i := range 2 {
		if r := h.query(t, user, q); r.status != 200 {
			t.Fatalf("spend %d: %d %s", i+1, r.status, r.body)
		}
	}
	if r := h.query(t, user, q); r.status != 429 || r.code(t) != gqlsec.CodeThrottled {
		t.Fatalf("exhausted: %d %s", r.status, r.body)
	}
	// 12 points a minute: 6 points (one query) come back in 30 seconds.
	mu.Lock()
	now = now.Add(29 * time.Second)
	mu.Unlock()
	if r := h.query(t, user, q); r.status != 429 {
		t.Fatalf("before the refill: %d, want 429", r.status)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if r := h.query(t, user, q); r.status != 200 {
		t.Fatalf("after the refill: %d %s", r.status, r.body)
	}
}

// While the budget's backend is down every operation is refused (fail
// closed), but the ERROR line is written at most once a second, carrying
// the number of lines suppressed meanwhile; the clock is the test's.
func TestCostBudgetOutageLogThrottled(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	b := &bucket{left: map[string]int{}}
	h := newHarness(t, gqlsec.Config{Cost: gqlsec.CostLimit{Budget: b, BudgetRate: ratelimit.Rate{Limit: 1000, Period: time.Second}, Now: clock}})
	const q = `{ tags }`
	lines := func() []map[string]any {
		var out []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(h.log.String()), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "cost budget unavailable" {
				out = append(out, m)
			}
		}
		return out
	}
	if r := h.query(t, user, q); r.status != 200 || len(lines()) != 0 {
		t.Fatalf("budget up: %d %s, %d outage lines", r.status, r.body, len(lines()))
	}
	b.mu.Lock()
	b.err = ratelimit.ErrBackend
	b.mu.Unlock()
	for i := range 5 {
		if r := h.query(t, user, q); r.status != 429 || r.code(t) != gqlsec.CodeThrottled {
			t.Fatalf("request %d with the budget down: %d %s, want 429 THROTTLED", i+1, r.status, r.body)
		}
		advance(100 * time.Millisecond)
	}
	got := lines()
	if len(got) != 1 || got[0]["level"] != "ERROR" || got[0]["suppressed"] != float64(0) {
		t.Fatalf("5 failures within a second logged %d lines, want 1 ERROR line: %v", len(got), got)
	}
	advance(500 * time.Millisecond) // a second after the first line
	if r := h.query(t, user, q); r.status != 429 {
		t.Fatalf("after a second: %d", r.status)
	}
	got = lines()
	if len(got) != 2 || got[1]["suppressed"] != float64(4) {
		t.Fatalf("after a second: %d lines, want 2 (the second with suppressed 4): %v", len(got), got)
	}
}
