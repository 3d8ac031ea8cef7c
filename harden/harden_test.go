package harden_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/directives"
	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/harden"
	"github.com/rampart-go/rampart/httpsec"
	"github.com/rampart-go/rampart/ratelimit"
)

// tokens accepts the bearer token "good" as alice.
var tokens = auth.AuthenticatorFunc(func(_ context.Context, c auth.Credential) (*auth.Principal, error) {
	if c.Kind == auth.CredentialBearer && c.Value == "good" {
		return &auth.Principal{Subject: "alice"}, nil
	}
	return nil, auth.ErrInvalidToken
})

var quiet = slog.New(slog.DiscardHandler)

// frozenLimiter is an in-memory limiter whose clock never moves, so that
// rate-limit tests do not depend on how fast the machine runs.
func frozenLimiter(t *testing.T) ratelimit.Limiter {
	t.Helper()
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	l, err := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newHandler(t *testing.T, o harden.Options) http.Handler {
	t.Helper()
	if o.Authenticator == nil {
		o.Authenticator = tokens
	}
	if o.Logger == nil {
		o.Logger = quiet
	}
	if o.Limiter == nil {
		o.Limiter = frozenLimiter(t)
	}
	h, err := harden.Handler(schema(), o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type request struct {
	contentType, auth, body string
}

func serve(h http.Handler, r request) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(r.body))
	req.RemoteAddr = "203.0.113.7:1234"
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if r.auth != "" {
		req.Header.Set("Authorization", r.auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

const benign = `{"query":"{ node { id } }"}`

// TestChain drives each stage with the request it refuses and checks that
// the benign request passes every one of them.
func TestChain(t *testing.T) {
	t.Parallel()
	h := newHandler(t, harden.Options{})
	for _, tc := range []struct {
		name   string
		req    request
		status int
		code   string
	}{
		{"benign anonymous", request{contentType: "application/json", body: benign}, 200, ""},
		{"benign authenticated", request{contentType: "application/json", auth: "Bearer good", body: benign}, 200, ""},
		{"CSRF: a simple request", request{contentType: "text/plain", body: benign}, 400, httpsec.CodeCSRFRejected},
		{"body limit", request{contentType: "application/json", body: `{"query":"{ node { id } }","x":"` + strings.Repeat("a", 2<<20) + `"}`}, 413, rampart.CodeRequestTooLarge},
		{"authentication: a refused credential", request{contentType: "application/json", auth: "Bearer forged", body: benign}, 401, auth.CodeUnauthenticated},
		{"operation limits: 42 root fields", request{contentType: "application/json", body: `{"query":"{ a: node { id } b: node { id } ` + strings.Repeat("c: node { id } ", 40) + `}"}`}, 200, gqlsec.CodeRootFieldLimit},
		{"introspection", request{contentType: "application/json", body: `{"query":"{ __schema { types { name } } }"}`}, 200, gqlsec.CodeIntrospection},
	} {
		rec := serve(h, tc.req)
		body := rec.Body.String()
		if rec.Code != tc.status || (tc.code != "" && !strings.Contains(body, `"code":"`+tc.code+`"`)) || (tc.code == "" && strings.Contains(body, "errors")) {
			t.Errorf("%s: %d %s; want %d %s", tc.name, rec.Code, body, tc.status, tc.code)
		}
		// The request id and the security headers come first: every
		// answer, refusals included, carries them.
		if rec.Header().Get("X-Request-Id") == "" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v lack X-Request-Id or nosniff", tc.name, rec.Header())
		}
	}
}

func TestRateLimitByCaller(t *testing.T) {
	t.Parallel()
	h := newHandler(t, harden.Options{RateLimit: httpsec.RateLimitOptions{Anonymous: ratelimit.PerMinute(2)}})
	for i, want := range []int{200, 200, 429} {
		if rec := serve(h, request{contentType: "application/json", body: benign}); rec.Code != want {
			t.Fatalf("anonymous request %d: %d %s, want %d", i+1, rec.Code, rec.Body, want)
		}
	}
	// Another caller has its own bucket.
	if rec := serve(h, request{contentType: "application/json", auth: "Bearer good", body: benign}); rec.Code != 200 {
		t.Fatalf("authenticated caller after the anonymous one was limited: %d %s", rec.Code, rec.Body)
	}
}

func TestReplace(t *testing.T) {
	t.Parallel()
	mark := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Replaced", "yes")
			next.ServeHTTP(w, r)
		})
	}
	h := newHandler(t, harden.Options{Replace: harden.Chain{RequestID: mark, CSRF: harden.Skip}})
	rec := serve(h, request{contentType: "text/plain", body: benign})
	if strings.Contains(rec.Body.String(), httpsec.CodeCSRFRejected) {
		t.Errorf("CSRF replaced by Skip still refused: %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("X-Replaced") != "yes" || rec.Header().Get("X-Request-Id") != "" {
		t.Errorf("RequestID not replaced: %v", rec.Header())
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	rl := schemaWith(directives.SDL + `type Query { hits: Int @public @rateLimit(limit: 1, window: "1m") }`)
	noLimiter, err := directives.New(directives.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		es   graphql.ExecutableSchema
		o    harden.Options
		want error
	}{
		{"nil schema", nil, harden.Options{Authenticator: tokens}, rampart.ErrConfig},
		{"no authenticator", schema(), harden.Options{}, rampart.ErrConfig},
		{"bad trusted proxy", schema(), harden.Options{Authenticator: tokens, TrustedProxies: []string{"not-an-ip"}}, rampart.ErrConfig},
		{"bad origin", schema(), harden.Options{Authenticator: tokens, AllowedOrigins: []string{"null"}}, rampart.ErrConfig},
		{"bad gqlsec config", schema(), harden.Options{Authenticator: tokens, GraphQL: gqlsec.Config{QueryCacheSize: -5}}, rampart.ErrConfig},
		{"directives that do not validate", rl, harden.Options{Authenticator: tokens, Directives: noLimiter}, rampart.ErrConfig},
	} {
		tc.o.Logger = quiet
		h, err := harden.Handler(tc.es, tc.o)
		if !errors.Is(err, tc.want) || h != nil {
			t.Errorf("%s: %v, %v; want an error wrapping %v", tc.name, h, err, tc.want)
		}
	}
	// The same directives with a limiter validate.
	d, err := directives.New(directives.Options{Limiter: frozenLimiter(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := harden.Handler(rl, harden.Options{Authenticator: tokens, Directives: d, Logger: quiet}); err != nil {
		t.Fatalf("valid directives: %v", err)
	}
}

// TestWebSocket: graphql-transport-ws is served with the guards: a
// credential in connection_init is verified; a forged one closes the
// connection with 4403.
func TestWebSocket(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(newHandler(t, harden.Options{}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	type msg struct {
		Type    string         `json:"type"`
		Payload map[string]any `json:"payload,omitempty"`
	}
	for _, tc := range []struct {
		token  string
		closed websocket.StatusCode
	}{{"good", -1}, {"forged", 4403}} {
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := wsjson.Write(ctx, c, msg{Type: "connection_init", Payload: map[string]any{"Authorization": "Bearer " + tc.token}}); err != nil {
			t.Fatal(err)
		}
		var got msg
		err = wsjson.Read(ctx, c, &got)
		if tc.closed < 0 && (err != nil || got.Type != "connection_ack") {
			t.Errorf("%s token: %+v, %v; want connection_ack", tc.token, got, err)
		}
		if tc.closed >= 0 && websocket.CloseStatus(err) != tc.closed {
			t.Errorf("%s token: %+v, %v; want close %d", tc.token, got, err, tc.closed)
		}
		c.CloseNow()
	}
}

// TestNilLoggerMeansDefault: with Options.Logger nil, refusals reach
// slog.Default(). Not parallel: it swaps the process's default logger.
func TestNilLoggerMeansDefault(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	h, err := harden.Handler(schema(), harden.Options{Authenticator: tokens})
	if err != nil {
		t.Fatal(err)
	}
	serve(h, request{contentType: "application/json", auth: "Bearer forged", body: benign})
	serve(h, request{contentType: "text/plain", body: benign})
	for _, want := range []string{"credential refused", httpsec.CodeCSRFRejected} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("slog.Default() lacks %q: %s", want, buf.String())
		}
	}
}

func schemaWith(sdl string) graphql.ExecutableSchema {
	s := gqlparser.MustLoadSchema(&ast.Source{Input: sdl})
	return &graphql.ExecutableSchemaMock{
		SchemaFunc:     func() *ast.Schema { return s },
		ComplexityFunc: func(context.Context, string, string, int, map[string]any) (int, bool) { return 0, false },
		ExecFunc: func(context.Context) graphql.ResponseHandler {
			return graphql.OneShot(&graphql.Response{Data: []byte(`{}`)})
		},
	}
}
