package httpsec

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/golden"
)

func TestCORS(t *testing.T) {
	t.Parallel()
	a, log := newAudit()
	mw := must(CORS(CORSOptions{
		AllowedOrigins:   []string{"https://app.example.com", "https://*.example.org"},
		AllowCredentials: true,
		Auditor:          a,
	}))
	zero := must(CORS(CORSOptions{Auditor: a}))
	for _, tc := range []struct {
		name       string
		zero       bool
		method     string
		origin     string
		reqMethod  string
		reqHeaders string
		wantACAO   string
		wantStatus int
		audited    bool
	}{
		{name: "preflight_allowed_origin", method: "OPTIONS", origin: "https://app.example.com", reqMethod: "POST",
			reqHeaders: "authorization,content-type,x-apollo-operation-name", wantACAO: "https://app.example.com", wantStatus: 204},
		{name: "preflight_wildcard_subdomain", method: "OPTIONS", origin: "https://a.example.org", reqMethod: "POST",
			reqHeaders: "content-type", wantACAO: "https://a.example.org", wantStatus: 204},
		{name: "preflight_evil_origin_refused", method: "OPTIONS", origin: "https://evil.example", reqMethod: "POST", wantStatus: 204, audited: true},
		{name: "preflight_suffix_lookalike_refused", method: "OPTIONS", origin: "https://app.example.com.evil.example", reqMethod: "POST", wantStatus: 204, audited: true},
		{name: "preflight_null_origin_refused", method: "OPTIONS", origin: "null", reqMethod: "POST", wantStatus: 204, audited: true},
		{name: "preflight_method_not_allowed", method: "OPTIONS", origin: "https://app.example.com", reqMethod: "DELETE", wantStatus: 204, audited: true},
		{name: "preflight_header_not_allowed", method: "OPTIONS", origin: "https://app.example.com", reqMethod: "POST",
			reqHeaders: "x-evil", wantStatus: 204, audited: true},
		{name: "actual_allowed_origin", method: "POST", origin: "https://app.example.com", wantACAO: "https://app.example.com", wantStatus: 200},
		{name: "actual_evil_origin_no_headers", method: "POST", origin: "https://evil.example", wantStatus: 200},
		{name: "same_origin_no_origin_header", method: "POST", wantStatus: 200},
		{name: "zero_options_allow_no_origin", zero: true, method: "OPTIONS", origin: "https://app.example.com", reqMethod: "POST", wantStatus: 204, audited: true},
		{name: "zero_options_actual_no_headers", zero: true, method: "GET", origin: "https://app.example.com", wantStatus: 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mw
			if tc.zero {
				m = zero
			}
			r := httptest.NewRequest(tc.method, "/query", nil)
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			if tc.reqMethod != "" {
				r.Header.Set("Access-Control-Request-Method", tc.reqMethod)
			}
			if tc.reqHeaders != "" {
				r.Header.Set("Access-Control-Request-Headers", tc.reqHeaders)
			}
			before := len(log.lines())
			rec := httptest.NewRecorder()
			m(okHandler()).ServeHTTP(rec, r)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != tc.wantACAO {
				t.Fatalf("Access-Control-Allow-Origin = %q, want %q", got, tc.wantACAO)
			}
			if tc.wantACAO != "" && rec.Header().Get("Access-Control-Allow-Credentials") != "true" && !tc.zero {
				t.Errorf("credentials not allowed")
			}
			if !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "Origin") {
				t.Errorf("Vary lacks Origin: %q", rec.Header().Values("Vary"))
			}
			if got := len(log.lines()) - before; (got == 1) != tc.audited || got > 1 {
				t.Fatalf("audit records = %d, want audited=%v", got, tc.audited)
			}
			if tc.name == "preflight_allowed_origin" {
				golden.Check(t, "cors_preflight", []byte(dump(rec.Result(), "Access-Control-Allow-Origin", "Access-Control-Allow-Methods",
					"Access-Control-Allow-Headers", "Access-Control-Allow-Credentials", "Access-Control-Max-Age", "Vary")))
			}
		})
	}
	if !strings.Contains(log.String(), `"code":"CORS_REJECTED"`) {
		t.Fatalf("no CORS_REJECTED record: %s", log)
	}
}

func TestCORSConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts CORSOptions
	}{
		{"star_with_credentials", CORSOptions{AllowedOrigins: []string{"*"}, AllowCredentials: true}},
		{"star_mixed", CORSOptions{AllowedOrigins: []string{"*", "https://a.example"}}},
		{"null_origin", CORSOptions{AllowedOrigins: []string{"null"}}},
		{"path_in_origin", CORSOptions{AllowedOrigins: []string{"https://a.example/app"}}},
		{"trailing_slash", CORSOptions{AllowedOrigins: []string{"https://a.example/"}}},
		{"no_scheme", CORSOptions{AllowedOrigins: []string{"a.example"}}},
		{"ftp_scheme", CORSOptions{AllowedOrigins: []string{"ftp://a.example"}}},
		{"userinfo", CORSOptions{AllowedOrigins: []string{"https://u@a.example"}}},
		{"tld_wildcard", CORSOptions{AllowedOrigins: []string{"https://*.com"}}},
		{"middle_wildcard", CORSOptions{AllowedOrigins: []string{"https://a*b.example.com"}}},
		{"headers_star", CORSOptions{AllowedHeaders: []string{"*"}}},
		{"bad_method", CORSOptions{AllowedMethods: []string{"GET POST"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := CORS(tc.opts); !errors.Is(err, rampart.ErrConfig) {
				t.Fatalf("err = %v, want rampart.ErrConfig", err)
			}
		})
	}
	for _, good := range [][]string{{"*"}, {"http://localhost:3000"}, {"https://*.example.com", "HTTPS://App.Example.com"}} {
		if _, err := CORS(CORSOptions{AllowedOrigins: good}); err != nil {
			t.Errorf("%q refused: %v", good, err)
		}
	}
}
