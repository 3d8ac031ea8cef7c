package httpsec

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"

	"github.com/rampart-go/rampart/internal/golden"
)

func chainOf(h http.Handler, mws ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// fakeAuth stands in for auth.Middleware: a bearer "secret-token-value"
// makes the caller user u42.
func fakeAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer secret-token-value" {
			r = r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Subject: "u42", Roles: []string{"USER"}}))
		}
		next.ServeHTTP(w, r)
	})
}

// fullChain is the recommended order with every middleware of the package.
func fullChain(a *Auditor, l ratelimit.Limiter, h http.Handler) http.Handler {
	return chainOf(h,
		RequestID(RequestIDOptions{NewID: func() string { return "rid-1" }}),
		must(ClientIP(ClientIPOptions{TrustedProxies: []string{"10.0.0.0/8"}})),
		must(SecureHeaders(SecureHeadersOptions{})),
		must(CORS(CORSOptions{AllowedOrigins: []string{"https://app.example.com"}, Auditor: a})),
		must(BodyLimit(BodyLimitOptions{MaxBytes: 64, Auditor: a})),
		must(CSRF(CSRFOptions{Auditor: a})),
		fakeAuth,
		must(RateLimit(l, RateLimitOptions{Authenticated: ratelimit.Rate{Limit: 1, Period: time.Hour}, Auditor: a})),
	)
}

// Every rejection yields exactly one audit record naming the code, caller,
// client IP, request id, method and path, and none carries the token, the
// body, the query string or a header value.
func TestAuditOncePerRejectionNoSecrets(t *testing.T) {
	t.Parallel()
	const body = `{"query":"mutation { login(password: \"hunter2-password\") }"}`
	for _, tc := range []struct {
		name   string
		ctype  string
		body   string
		repeat int // requests sent; only the last is checked
		code   string
		status int
	}{
		{name: "csrf", ctype: "text/plain", body: body, repeat: 1, code: CodeCSRFRejected, status: 400},
		{name: "body_limit", ctype: "application/json", body: body + strings.Repeat(" ", 64), repeat: 1, code: rampart.CodeRequestTooLarge, status: 413},
		{name: "rate_limit", ctype: "application/json", body: `{"query":"{me{id}}"}`, repeat: 2, code: rampart.CodeRateLimited, status: 429},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, log := newAudit()
			h := fullChain(a, &fakeLimiter{}, okHandler())
			var rec *httptest.ResponseRecorder
			for range tc.repeat {
				r := httptest.NewRequest("POST", "/query?token=query-string-secret", strings.NewReader(tc.body))
				r.RemoteAddr = "10.0.0.9:5555"
				r.Header.Set("X-Forwarded-For", "198.51.100.23")
				r.Header.Set("Content-Type", tc.ctype)
				r.Header.Set("Authorization", "Bearer secret-token-value")
				r.Header.Set("Cookie", "session=cookie-secret")
				rec = httptest.NewRecorder()
				h.ServeHTTP(rec, r)
			}
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d", rec.Code, tc.status)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("X-Request-Id") != "rid-1" {
				t.Errorf("rejection lacks security headers or request id: %v", rec.Header())
			}
			lines := log.lines()
			if len(lines) != 1 {
				t.Fatalf("want exactly 1 audit record, got %d:\n%s", len(lines), log)
			}
			var rec1 map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &rec1); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{
				"code": tc.code, "status": float64(tc.status), "subject": "u42", "client_ip": "198.51.100.23",
				"request_id": "rid-1", "method": "POST", "path": "/query",
			}
			if tc.code != rampart.CodeRateLimited {
				want["subject"] = "" // rejected before authentication ran
			}
			for k, v := range want {
				if rec1[k] != v {
					t.Errorf("audit %s = %v, want %v", k, rec1[k], v)
				}
			}
			for _, secret := range []string{"secret-token-value", "Bearer", "hunter2", "query-string-secret", "cookie-secret", "mutation"} {
				if strings.Contains(lines[0], secret) {
					t.Errorf("audit record leaks %q: %s", secret, lines[0])
				}
			}
		})
	}
}

// The benign request goes through the whole chain with no record.
func TestFullChainBenign(t *testing.T) {
	t.Parallel()
	a, log := newAudit()
	h := fullChain(a, &fakeLimiter{}, okHandler())
	r := httptest.NewRequest("POST", "/query", strings.NewReader(`{"query":"{me{id}}"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Origin", "https://app.example.com")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 200 || rec.Body.String() != "ok" || log.String() != "" {
		t.Fatalf("benign request: %d %q, audit %q", rec.Code, rec.Body, log)
	}
	golden.Check(t, "full_chain_ok", []byte(dump(rec.Result(), "Access-Control-Allow-Origin", "Access-Control-Expose-Headers",
		"Cache-Control", "Content-Security-Policy", "Cross-Origin-Opener-Policy", "Cross-Origin-Resource-Policy",
		"Ratelimit-Limit", "Ratelimit-Remaining", "Ratelimit-Reset", "Referrer-Policy", "Vary",
		"X-Content-Type-Options", "X-Frame-Options", "X-Request-Id")))
}
