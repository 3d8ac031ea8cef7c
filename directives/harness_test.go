package directives_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/directives"
	"github.com/rampart-go/rampart/directives/internal/testgraph"
	"github.com/rampart-go/rampart/directives/internal/testgraph/model"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/reqctx"
)

// fakePublicURL stands for ssrf.Guard.Check: it refuses hosts that are (or
// resolve to) internal addresses, with an error naming the address, which
// must never reach the client.
func fakePublicURL(ctx context.Context, s string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := directives.CheckURL(s); err != nil {
		return err
	}
	u, _ := url.Parse(s)
	switch h := u.Hostname(); {
	case h == "localhost", strings.HasPrefix(h, "127."), strings.HasPrefix(h, "10."), h == "169.254.169.254":
		return errors.New("ssrf: address not allowed: " + h + " resolves to 10.1.2.3 in 10.0.0.0/8")
	case strings.HasSuffix(h, ".slow.example"):
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

// Callers used across the tests. alice (u1) and bob (u2) are plain users;
// root (u3) is an admin.
var (
	anonymous *auth.Principal
	alice     = &auth.Principal{Subject: "u1", Roles: []string{"USER"}}
	bob       = &auth.Principal{Subject: "u2", Roles: []string{"USER"}}
	admin     = &auth.Principal{Subject: "u3", Roles: []string{"ADMIN"}}
	editor    = &auth.Principal{Subject: "u4", Roles: []string{"EDITOR"}}
)

type harness struct {
	r   *testgraph.Resolver
	d   *directives.Directives
	srv *handler.Server
}

// newHarness serves the test graph with the directives installed the way an
// application would: DirectiveRoot wired, srv.Use(d), lookups and owner
// functions registered, ADMIN bypassing ownership.
func newHarness(t testing.TB, opts directives.Options) *harness {
	t.Helper()
	r := testgraph.NewResolver()
	if opts.Lookups == nil {
		opts.Lookups = map[string]directives.LookupFunc{
			"Post": func(ctx context.Context, id string) (string, error) {
				owner, err := r.PostOwner(ctx, id)
				if errors.Is(err, testgraph.ErrNoPost) {
					return "", directives.ErrNotFound
				}
				return owner, err
			},
		}
	}
	if opts.Owners == nil {
		opts.Owners = map[string]directives.OwnerFunc{
			"Post": func(_ context.Context, obj any) (string, error) { return obj.(*model.Post).AuthorID, nil },
		}
	}
	if opts.BypassRoles == nil {
		opts.BypassRoles = []string{"ADMIN"}
	}
	if opts.Limiter == nil {
		l, err := ratelimit.NewMemory(ratelimit.MemoryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		opts.Limiter = l
	}
	if opts.FormatsContext == nil {
		opts.FormatsContext = map[string]directives.FormatContextFunc{"PUBLIC_URL": fakePublicURL}
	}
	d, err := directives.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var root testgraph.DirectiveRoot // gqlgen.yml maps Int to graphql.Int
	if err := d.Bind(&root); err != nil {
		t.Fatal(err)
	}
	es := testgraph.NewExecutableSchema(testgraph.Config{Resolvers: r, Directives: root})
	srv := handler.New(es)
	srv.AddTransport(transport.SSE{})
	srv.AddTransport(transport.POST{})
	srv.Use(extension.Introspection{})
	srv.Use(d)
	return &harness{r: r, d: d, srv: srv}
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type response struct {
	Data   map[string]any `json:"data"`
	Errors []gqlError     `json:"errors"`
	raw    string
}

// code returns the extensions.code of the error at path ("a.0.b"), or "".
func (r response) code(path string) string {
	for _, e := range r.Errors {
		if pathString(e.Path) == path {
			c, _ := e.Extensions["code"].(string)
			return c
		}
	}
	return ""
}

func pathString(p []any) string {
	parts := make([]string, len(p))
	for i, e := range p {
		b, _ := json.Marshal(e)
		parts[i] = strings.Trim(string(b), `"`)
	}
	return strings.Join(parts, ".")
}

func (h *harness) request(t testing.TB, p *auth.Principal, query string, vars map[string]any, sse bool) *httptest.ResponseRecorder {
	t.Helper()
	return h.requestFrom(t, p, netip.Addr{}, query, vars, sse)
}

// requestFrom is request with the client address ip (as httpsec.ClientIP
// would store it) when ip is valid.
func (h *harness) requestFrom(t testing.TB, p *auth.Principal, ip netip.Addr, query string, vars map[string]any, sse bool) *httptest.ResponseRecorder {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sse {
		req.Header.Set("Accept", "text/event-stream")
	}
	ctx := auth.WithPrincipal(req.Context(), p)
	if ip.IsValid() {
		ctx = reqctx.WithClientIP(ctx, ip)
	}
	req = req.WithContext(ctx)
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	return rec
}

// do runs one query or mutation as p.
func (h *harness) do(t testing.TB, p *auth.Principal, query string, vars map[string]any) response {
	t.Helper()
	return h.doFrom(t, p, netip.Addr{}, query, vars)
}

// doFrom runs one query or mutation as p from client address ip.
func (h *harness) doFrom(t testing.TB, p *auth.Principal, ip netip.Addr, query string, vars map[string]any) response {
	t.Helper()
	rec := h.requestFrom(t, p, ip, query, vars, false)
	var res response
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatalf("decode %q: %v", rec.Body.String(), err)
	}
	res.raw = rec.Body.String()
	return res
}

// subscribe runs a subscription over server-sent events and returns every
// "next" payload.
func (h *harness) subscribe(t testing.TB, p *auth.Principal, query string) []response {
	t.Helper()
	rec := h.request(t, p, query, nil, true)
	var out []response
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || strings.TrimSpace(line) == "" {
			continue
		}
		var res response
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			t.Fatalf("decode %q: %v", line, err)
		}
		res.raw = line
		out = append(out, res)
	}
	if len(out) == 0 {
		t.Fatalf("no events in %q", rec.Body.String())
	}
	return out
}

// field walks data by a dotted path.
func field(data any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch v := data.(type) {
		case map[string]any:
			data = v[k]
		case []any:
			i := 0
			for _, c := range k {
				i = i*10 + int(c-'0')
			}
			if i >= len(v) {
				return nil
			}
			data = v[i]
		default:
			return nil
		}
	}
	return data
}
