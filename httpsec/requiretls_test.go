package httpsec_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/httpsec"
)

func TestRequireTLS(t *testing.T) {
	t.Parallel()
	clientIP, err := httpsec.ClientIP(httpsec.ClientIPOptions{TrustedProxies: []string{"10.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := clientIP(httpsec.RequireTLS(httpsec.RequireTLSOptions{ExemptPaths: []string{"/healthz"}})(ok))
	cases := []struct {
		name, peer, path, proto string
		tls                     bool
		want                    int
	}{
		{"plain_http_refused", "203.0.113.9:1234", "/query", "", false, http.StatusForbidden},
		{"tls_passes", "203.0.113.9:1234", "/query", "", true, http.StatusNoContent},
		{"trusted_proxy_says_https_passes", "10.0.0.2:1234", "/query", "https", false, http.StatusNoContent},
		{"client_claiming_https_refused", "203.0.113.9:1234", "/query", "https", false, http.StatusForbidden},
		{"trusted_proxy_says_http_refused", "10.0.0.2:1234", "/query", "http", false, http.StatusForbidden},
		{"exempt_health_probe_passes", "203.0.113.9:1234", "/healthz", "", false, http.StatusNoContent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, tc.path, nil)
			r.RemoteAddr = tc.peer
			if tc.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			if tc.want == http.StatusForbidden && !strings.Contains(w.Body.String(), httpsec.CodeTLSRequired) {
				t.Fatalf("body %q lacks %s", w.Body.String(), httpsec.CodeTLSRequired)
			}
		})
	}
}
