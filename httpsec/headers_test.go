package httpsec

import (
	"crypto/tls"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/golden"
)

func TestSecureHeaders(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"X-Content-Type-Options":       "nosniff",
		"X-Frame-Options":              "DENY",
		"Cache-Control":                "no-store",
		"Referrer-Policy":              "no-referrer",
		"Content-Security-Policy":      "default-src 'none'; frame-ancestors 'none'",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
	}
	mw := must(SecureHeaders(SecureHeadersOptions{}))
	rec := httptest.NewRecorder()
	mw(okHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	for k, v := range want {
		t.Run(k, func(t *testing.T) {
			t.Parallel()
			if got := rec.Header().Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		})
	}
	if got := rec.Header().Get("Strict-Transport-Security"); got != "" {
		t.Errorf("HSTS sent while not configured: %q", got)
	}
	golden.Check(t, "secure_headers", []byte(dump(rec.Result(), append(slices.Sorted(maps.Keys(want)), "Strict-Transport-Security")...)))
}

func TestSecureHeadersHSTS(t *testing.T) {
	t.Parallel()
	trustedProxy := must(ClientIP(ClientIPOptions{TrustedProxies: []string{"10.0.0.0/8"}}))
	for _, tc := range []struct {
		name string
		opts SecureHeadersOptions
		tls  bool
		peer string
		xfp  string
		want string
	}{
		{name: "plain_http_no_hsts", opts: SecureHeadersOptions{HSTS: true}, peer: "203.0.113.9:1"},
		{name: "tls_default_one_year", opts: SecureHeadersOptions{HSTS: true}, tls: true, peer: "203.0.113.9:1", want: "max-age=31536000"},
		{name: "tls_but_hsts_off", tls: true, peer: "203.0.113.9:1"},
		{name: "tls_subdomains_preload", opts: SecureHeadersOptions{HSTS: true, HSTSIncludeSubdomains: true, HSTSPreload: true}, tls: true, peer: "203.0.113.9:1",
			want: "max-age=31536000; includeSubDomains; preload"},
		{name: "tls_custom_age", opts: SecureHeadersOptions{HSTS: true, HSTSMaxAge: time.Hour}, tls: true, peer: "203.0.113.9:1", want: "max-age=3600"},
		{name: "trusted_proxy_says_https", opts: SecureHeadersOptions{HSTS: true}, peer: "10.1.2.3:1", xfp: "https", want: "max-age=31536000"},
		{name: "trusted_proxy_says_http", opts: SecureHeadersOptions{HSTS: true}, peer: "10.1.2.3:1", xfp: "http"},
		{name: "untrusted_peer_spoofs_https", opts: SecureHeadersOptions{HSTS: true}, peer: "203.0.113.9:1", xfp: "https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mw := must(SecureHeaders(tc.opts))
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tc.xfp != "" {
				r.Header.Set("X-Forwarded-Proto", tc.xfp)
			}
			rec := httptest.NewRecorder()
			trustedProxy(mw(okHandler())).ServeHTTP(rec, r)
			if got := rec.Header().Get("Strict-Transport-Security"); got != tc.want {
				t.Errorf("Strict-Transport-Security = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSecureHeadersConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts SecureHeadersOptions
	}{
		{"preload_without_subdomains", SecureHeadersOptions{HSTS: true, HSTSPreload: true}},
		{"preload_short_age", SecureHeadersOptions{HSTS: true, HSTSPreload: true, HSTSIncludeSubdomains: true, HSTSMaxAge: time.Hour}},
		{"negative_age", SecureHeadersOptions{HSTS: true, HSTSMaxAge: -1}},
		{"bad_corp", SecureHeadersOptions{CrossOriginResourcePolicy: "anyone"}},
		{"csp_header_injection", SecureHeadersOptions{ContentSecurityPolicy: "default-src 'none'\r\nSet-Cookie: x=1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := SecureHeaders(tc.opts); !errors.Is(err, rampart.ErrConfig) {
				t.Fatalf("err = %v, want rampart.ErrConfig", err)
			}
		})
	}
	if _, err := SecureHeaders(SecureHeadersOptions{CrossOriginResourcePolicy: "same-site", ContentSecurityPolicy: "default-src 'self'"}); err != nil {
		t.Fatalf("valid options refused: %v", err)
	}
}

func TestSecureHeadersHandlerMayOverride(t *testing.T) {
	t.Parallel()
	mw := must(SecureHeaders(SecureHeadersOptions{}))
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Header().Add("X-Frame-Options", "second")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if got := rec.Header().Get("Cache-Control"); got != "public, max-age=60" {
		t.Fatalf("Cache-Control = %q", got)
	}
	// Add on the shared value must not leak into the next response.
	rec2 := httptest.NewRecorder()
	mw(okHandler()).ServeHTTP(rec2, httptest.NewRequest("GET", "/", nil))
	if got := rec2.Header().Values("X-Frame-Options"); len(got) != 1 || got[0] != "DENY" {
		t.Fatalf("X-Frame-Options on next response = %q", got)
	}
}
