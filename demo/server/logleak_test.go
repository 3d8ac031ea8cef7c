package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestMalformedBodiesNeverReachTheLog sends login bodies a client can get
// wrong (a trailing comma, truncated JSON, a repeated member) carrying a
// password, and greps the server's whole log for the password and the
// seeded admin's e-mail: neither may appear at any level, and each
// request is a client error with its own code, not an internal one.
func TestMalformedBodiesNeverReachTheLog(t *testing.T) {
	const (
		email    = "root-admin@example.com"
		password = "Sup3r-Secret-Passw0rd-Xylophone!"
	)
	logw := &syncBuffer{}
	s := startDemoLog(t, map[string]string{"DEMO_ADMIN_EMAIL": email, "DEMO_ADMIN_PASSWORD": password}, filepath.Join(t.TempDir(), "demo.db"), logw)
	login := `mutation { login(email: \"` + email + `\", password: \"` + password + `\") { accessToken } }`
	for _, tt := range []struct{ name, body, code string }{
		{"trailing_comma", `{"query":"` + login + `",}`, "INVALID_JSON"},
		{"truncated", `{"query":"` + login + `"`, "INVALID_JSON"},
		{"variables_trailing_comma", `{"query":"mutation($p: String!) { login(email: \"x@example.com\", password: $p) { accessToken } }","variables":{"p":"` + password + `",}}`, "INVALID_JSON"},
		{"duplicate_query", `{"query":"{ __typename }","query":"` + login + `"}`, "DUPLICATE_KEY"},
	} {
		req, _ := http.NewRequest(http.MethodPost, s.base+"/query", strings.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var out gqlResponse
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s: response is not JSON: %s", tt.name, raw)
		}
		if res.StatusCode != http.StatusBadRequest || out.code() != tt.code {
			t.Errorf("%s: %d %q, want 400 %s; body %s", tt.name, res.StatusCode, out.code(), tt.code, raw)
		}
		if strings.Contains(string(raw), password) {
			t.Errorf("%s: the response echoes the password: %s", tt.name, raw)
		}
	}
	// A well-formed login still works, and is not logged with its body either.
	if r := s.do("", `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, map[string]any{"e": email, "p": password}); r.code() != "" {
		t.Fatalf("benign login refused: %+v", r.Errors)
	}
	log := logw.String()
	if strings.Contains(log, password) {
		t.Fatalf("the password reached the log:\n%s", log)
	}
	if strings.Contains(log, email) {
		t.Fatalf("the admin's e-mail reached the log:\n%s", log)
	}
	if strings.Contains(log, `"level":"ERROR"`) {
		t.Fatalf("a client's malformed request was logged as an error:\n%s", log)
	}
}
