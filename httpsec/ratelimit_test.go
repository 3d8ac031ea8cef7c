package httpsec

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/reqctx"

	"github.com/rampart-go/rampart/internal/golden"
)

func TestRateLimit(t *testing.T) {
	t.Parallel()
	a, log := newAudit()
	lim := &fakeLimiter{}
	mw := must(RateLimit(lim, RateLimitOptions{
		Anonymous: ratelimit.Rate{Limit: 3, Period: 3 * time.Second},
		Auditor:   a,
	}))
	h := mw(okHandler())
	var last *httptest.ResponseRecorder
	for i := 1; i <= 4; i++ {
		r := httptest.NewRequest("POST", "/query", nil)
		r.RemoteAddr = "203.0.113.9:4242"
		r.Header.Set("Authorization", "Bearer secret-token-value")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		wantCode := 200
		if i == 4 {
			wantCode = 429
		}
		if rec.Code != wantCode {
			t.Fatalf("request %d: status %d, want %d", i, rec.Code, wantCode)
		}
		if got, want := rec.Header().Get("RateLimit-Remaining"), fmt.Sprint(max(3-i, 0)); got != want {
			t.Errorf("request %d: RateLimit-Remaining = %q, want %q", i, got, want)
		}
		if rec.Header().Get("RateLimit-Limit") != "3" {
			t.Errorf("request %d: RateLimit-Limit = %q", i, rec.Header().Get("RateLimit-Limit"))
		}
		if i < 4 && rec.Header().Get("Retry-After") != "" {
			t.Errorf("request %d: Retry-After on an allowed request", i)
		}
		last = rec
	}
	golden.Check(t, "rate_limited", []byte(dump(last.Result(), "Content-Type", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After")))
	lines := log.lines()
	if len(lines) != 1 || !strings.Contains(lines[0], `"code":"RATE_LIMITED"`) || !strings.Contains(lines[0], `"status":429`) {
		t.Fatalf("want one RATE_LIMITED audit record, got %s", log)
	}
	if strings.Contains(lines[0], "secret-token-value") {
		t.Fatalf("audit leaks the token: %s", lines[0])
	}
	for _, k := range lim.seenKeys() {
		if k != "http:ip:203.0.113.9" {
			t.Fatalf("key = %q, want the client IP without port", k)
		}
	}
}

func TestRateLimitKeys(t *testing.T) {
	t.Parallel()
	roles := map[string]ratelimit.Rate{
		"ADMIN":   ratelimit.PerSecond(100),
		"PARTNER": ratelimit.PerSecond(10),
	}
	for _, tc := range []struct {
		name      string
		principal *auth.Principal
		clientIP  string
		remote    string
		wantKey   string
		wantLimit string
	}{
		{name: "anonymous_by_remote_addr_host", remote: "198.51.100.7:1234", wantKey: "http:ip:198.51.100.7", wantLimit: "60"},
		{name: "anonymous_by_resolved_client_ip", clientIP: "192.0.2.1", remote: "10.0.0.1:1", wantKey: "http:ip:192.0.2.1", wantLimit: "60"},
		{name: "user_by_subject", principal: &auth.Principal{Subject: "u42"}, remote: "198.51.100.7:1", wantKey: "http:user:u42", wantLimit: "600"},
		{name: "admin_tier", principal: &auth.Principal{Subject: "root", Roles: []string{"USER", "ADMIN"}}, wantKey: "http:user:root", wantLimit: "100"},
		{name: "most_generous_role_wins", principal: &auth.Principal{Subject: "p", Roles: []string{"PARTNER", "ADMIN"}}, wantKey: "http:user:p", wantLimit: "100"},
		{name: "partner_tier", principal: &auth.Principal{Subject: "p", Roles: []string{"PARTNER"}}, wantKey: "http:user:p", wantLimit: "10"},
		{name: "empty_subject_is_anonymous", principal: &auth.Principal{}, remote: "198.51.100.7:1", wantKey: "http:ip:198.51.100.7", wantLimit: "60"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lim := &fakeLimiter{}
			mw := must(RateLimit(lim, RateLimitOptions{Roles: roles}))
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			ctx := r.Context()
			if tc.principal != nil {
				ctx = auth.WithPrincipal(ctx, tc.principal)
			}
			if tc.clientIP != "" {
				ctx = reqctx.WithClientIP(ctx, netip.MustParseAddr(tc.clientIP))
			}
			rec := httptest.NewRecorder()
			mw(okHandler()).ServeHTTP(rec, r.WithContext(ctx))
			if keys := lim.seenKeys(); len(keys) != 1 || keys[0] != tc.wantKey {
				t.Fatalf("keys = %q, want %q", keys, tc.wantKey)
			}
			if got := rec.Header().Get("RateLimit-Limit"); got != tc.wantLimit {
				t.Fatalf("RateLimit-Limit = %q, want %q", got, tc.wantLimit)
			}
		})
	}
}

func TestRateLimitBackendDown(t *testing.T) {
	t.Parallel()
	a, log := newAudit()
	lim := &fakeLimiter{err: fmt.Errorf("redis: dial tcp 10.1.1.1:6379: refused: %w", ratelimit.ErrBackend)}
	mw := must(RateLimit(lim, RateLimitOptions{Auditor: a}))
	called := false
	h := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if called {
		t.Fatal("handler ran while the limiter was down: fail open")
	}
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", rec.Code)
	}
	if strings.Contains(rec.Body.String(), "redis") || strings.Contains(rec.Body.String(), "10.1.1.1") {
		t.Fatalf("internal detail leaked: %s", rec.Body)
	}
	golden.Check(t, "rate_limit_unavailable", []byte(dump(rec.Result(), "Content-Type", "RateLimit-Limit", "Retry-After")))
	if n := len(log.lines()); n != 1 || !strings.Contains(log.String(), rampart.CodeRateLimitUnavailable) {
		t.Fatalf("want one RATE_LIMIT_UNAVAILABLE record, got %s", log)
	}
}

func TestRateLimitConfig(t *testing.T) {
	t.Parallel()
	lim := &fakeLimiter{}
	for _, tc := range []struct {
		name string
		l    ratelimit.Limiter
		opts RateLimitOptions
	}{
		{"nil_limiter", nil, RateLimitOptions{}},
		{"zero_period", lim, RateLimitOptions{Anonymous: ratelimit.Rate{Limit: 1}}},
		{"negative_limit", lim, RateLimitOptions{Authenticated: ratelimit.Rate{Limit: -1, Period: time.Second}}},
		{"bad_role_rate", lim, RateLimitOptions{Roles: map[string]ratelimit.Rate{"ADMIN": {Limit: 1}}}},
		{"empty_role", lim, RateLimitOptions{Roles: map[string]ratelimit.Rate{"": ratelimit.PerSecond(1)}}},
		{"cost_above_burst", lim, RateLimitOptions{Cost: 61}},
		{"negative_cost", lim, RateLimitOptions{Cost: -1}},
		{"negative_retry", lim, RateLimitOptions{RetryAfterUnavailable: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := RateLimit(tc.l, tc.opts); !errors.Is(err, rampart.ErrConfig) {
				t.Fatalf("err = %v, want rampart.ErrConfig", err)
			}
		})
	}
	if _, err := RateLimit(lim, RateLimitOptions{Cost: 60}); err != nil {
		t.Fatalf("cost at the burst refused: %v", err)
	}
}
