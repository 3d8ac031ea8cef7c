package httpsec

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/golden"
)

type csrfCase struct {
	name    string
	method  string
	ctype   []string // Content-Type lines; nil = absent
	headers map[string]string
	pass    bool
}

func csrfCases() []csrfCase {
	return []csrfCase{
		// Attacks: simple requests a page on another site can send.
		{name: "text_plain_post", method: "POST", ctype: []string{"text/plain"}},
		{name: "form_post", method: "POST", ctype: []string{"application/x-www-form-urlencoded"}},
		{name: "multipart_post", method: "POST", ctype: []string{"multipart/form-data; boundary=xyz"}},
		{name: "get_without_content_type", method: "GET"},
		{name: "head_without_content_type", method: "HEAD"},
		{name: "upper_case_with_charset", method: "POST", ctype: []string{"TEXT/PLAIN; charset=utf-8"}},
		{name: "leading_spaces", method: "POST", ctype: []string{" text/plain"}},
		{name: "spaces_around_essence", method: "POST", ctype: []string{"\ttext/plain ;charset=utf-8"}},
		{name: "mixed_case_form", method: "POST", ctype: []string{"Application/X-WWW-Form-URLEncoded"}},
		{name: "bad_parameters_still_text_plain", method: "POST", ctype: []string{"text/plain; charset"}},
		{name: "missing_content_type_post", method: "POST"},
		{name: "empty_content_type", method: "POST", ctype: []string{""}},
		{name: "garbage_content_type", method: "POST", ctype: []string{"not a media type"}},
		{name: "two_content_types", method: "POST", ctype: []string{"application/json", "text/plain"}},
		{name: "required_header_empty", method: "POST", ctype: []string{"text/plain"},
			headers: map[string]string{"Apollo-Require-Preflight": ""}},
		{name: "unlisted_header_does_not_help", method: "GET",
			headers: map[string]string{"X-Requested-With": "XMLHttpRequest"}},
		{name: "upgrade_without_connection_is_not_websocket", method: "GET",
			headers: map[string]string{"Upgrade": "websocket"}},

		// Benign requests that must pass.
		{name: "json_post_passes", method: "POST", ctype: []string{"application/json"}, pass: true},
		{name: "json_post_with_charset_passes", method: "POST", ctype: []string{"application/json; charset=utf-8"}, pass: true},
		{name: "graphql_response_json_passes", method: "POST", ctype: []string{"application/graphql-response+json"}, pass: true},
		{name: "simple_post_with_apollo_require_preflight_passes", method: "POST", ctype: []string{"text/plain"},
			headers: map[string]string{"Apollo-Require-Preflight": "true"}, pass: true},
		{name: "get_with_operation_name_passes", method: "GET",
			headers: map[string]string{"X-Apollo-Operation-Name": "Me"}, pass: true},
		{name: "multipart_with_header_passes", method: "POST", ctype: []string{"multipart/form-data; boundary=x"},
			headers: map[string]string{"Apollo-Require-Preflight": "1"}, pass: true},
		{name: "put_text_plain_is_preflighted_passes", method: "PUT", ctype: []string{"text/plain"}, pass: true},
		{name: "options_preflight_passes", method: "OPTIONS", pass: true},
		{name: "websocket_handshake_left_to_wssec_passes", method: "GET",
			headers: map[string]string{"Connection": "keep-alive, Upgrade", "Upgrade": "websocket"}, pass: true},
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	for _, tc := range csrfCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, log := newAudit()
			mw := must(CSRF(CSRFOptions{Auditor: a}))
			r := httptest.NewRequest(tc.method, "/query?query=%7Bme%7D", strings.NewReader(`{"query":"{me}"}`))
			r.Header.Set("Authorization", "Bearer secret-token-value")
			for _, v := range tc.ctype {
				r.Header.Add("Content-Type", v)
			}
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			mw(okHandler()).ServeHTTP(rec, r)
			if tc.pass {
				if rec.Code != http.StatusOK || rec.Body.String() != "ok" {
					t.Fatalf("benign request refused: %d %s", rec.Code, rec.Body)
				}
				if n := len(log.lines()); n != 0 {
					t.Fatalf("benign request audited: %s", log)
				}
				return
			}
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400", rec.Code)
			}
			golden.Check(t, "csrf_rejected", []byte(dump(rec.Result(), "Content-Type", "X-Content-Type-Options", "Cache-Control")))
			lines := log.lines()
			if len(lines) != 1 {
				t.Fatalf("want one audit record, got %d: %s", len(lines), log)
			}
			if !strings.Contains(lines[0], `"code":"CSRF_REJECTED"`) || !strings.Contains(lines[0], `"path":"/query"`) {
				t.Errorf("audit record lacks code or path: %s", lines[0])
			}
			for _, leak := range []string{"secret-token-value", "Bearer", `{me}`, "query=", "%7B"} {
				if strings.Contains(lines[0], leak) {
					t.Errorf("audit record leaks %q: %s", leak, lines[0])
				}
			}
		})
	}
}

func TestCSRFConfiguredHeader(t *testing.T) {
	t.Parallel()
	mw := must(CSRF(CSRFOptions{RequestHeaders: []string{"x-requested-with", "GraphQL-Require-Preflight"}}))
	for _, tc := range []struct {
		name   string
		header string
		want   int
	}{
		{"x_requested_with_passes", "X-Requested-With", 200},
		{"graphql_require_preflight_passes", "GraphQL-Require-Preflight", 200},
		{"default_apollo_header_replaced_refused", "Apollo-Require-Preflight", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/", strings.NewReader("x"))
			r.Header.Set("Content-Type", "text/plain")
			r.Header.Set(tc.header, "1")
			rec := httptest.NewRecorder()
			mw(okHandler()).ServeHTTP(rec, r)
			if rec.Code != tc.want {
				t.Fatalf("status = %d, want %d", rec.Code, tc.want)
			}
			if tc.want == 400 && !strings.Contains(rec.Body.String(), "x-requested-with or GraphQL-Require-Preflight") {
				t.Errorf("message does not name the configured headers: %s", rec.Body)
			}
		})
	}
}

func TestCSRFRefusesUselessHeaders(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Content-Type", "accept", "Origin", "Cookie", "Referer", "Sec-Fetch-Site", "Authorization", "bad header", ""} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := CSRF(CSRFOptions{RequestHeaders: []string{name}})
			if !errors.Is(err, rampart.ErrConfig) {
				t.Fatalf("CSRF accepted %q as proof of a preflight: err = %v", name, err)
			}
		})
	}
}

func FuzzCSRF(f *testing.F) {
	for _, tc := range csrfCases() {
		for _, v := range tc.ctype {
			f.Add(tc.method, v)
		}
	}
	f.Add("POST", "text/plain\x00")
	f.Add("POST", "text/plain,application/json")
	mw := must(CSRF(CSRFOptions{}))
	h := mw(okHandler())
	f.Fuzz(func(t *testing.T, method, ctype string) {
		if !validToken(method) {
			return
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Method = method
		r.Header["Content-Type"] = []string{ctype}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)

		// Invariant 1: whatever a browser's MIME parser would call one of
		// the three simple types never passes on a simple method.
		essence, _, _ := strings.Cut(ctype, ";")
		essence = strings.ToLower(strings.Trim(essence, " \t\r\n"))
		simpleMethod := method == "GET" || method == "HEAD" || method == "POST"
		if simpleMethod && (essence == "text/plain" || essence == "application/x-www-form-urlencoded" || essence == "multipart/form-data") && rec.Code != 400 {
			t.Fatalf("%s %q passed", method, ctype)
		}
		// Invariant 2: only 200 or 400, and 400 only on simple methods.
		if rec.Code != 200 && rec.Code != 400 || rec.Code == 400 && !simpleMethod {
			t.Fatalf("%s %q: status %d", method, ctype, rec.Code)
		}
		// Invariant 3: the required header always lets it through.
		r.Header.Set("Apollo-Require-Preflight", "true")
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != 200 {
			t.Fatalf("%s %q with header: status %d", method, ctype, rec.Code)
		}
	})
}
