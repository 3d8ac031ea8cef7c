package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// declinedAudits are the graphql-http audits the demo fails on purpose,
// each a MAY of the GraphQL over HTTP spec: in production a GET needs a
// non-simple header (Apollo-Require-Preflight) so that a cross-site page
// cannot make a browser send it (CSRF), which the audit's GET requests
// do not carry.
var declinedAudits = map[string]string{
	"5A70": "GET without a preflight header (CSRF rule)",
	"D6D5": "GET without a preflight header (CSRF rule)",
	"6A70": "GET without a preflight header (CSRF rule)",
}

// TestGraphQLOverHTTPAudit runs the spec's own audit (the pinned npm
// graphql-http package, testdata/httpaudit) against the demo as users run
// it in production — over TLS with a throwaway pair, as the seeded admin,
// so that introspection lockdown and trusted documents do not mask the
// result — and fails on any audit that does not pass unless it is one of
// the MAY items declined on purpose (declinedAudits). It
// fails, never skips, when node or node_modules is missing.
func TestGraphQLOverHTTPAudit(t *testing.T) {
	dir := filepath.Join("testdata", "httpaudit")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "graphql-http")); err != nil {
		t.Fatalf("node_modules missing in %s: run make test (or npm ci in demo/server/testdata/httpaudit) (%v)", dir, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found on PATH: install Node.js >= 18 and npm (%v)", err)
	}
	certFile, keyFile, pool := selfSigned(t)
	const email, password = "audit-admin@example.com", "Audit-Admin-Passw0rd-Kestrel!"
	s := startDemo(t, map[string]string{"APP_ENV": "production", "JWT_SECRET": strings.Repeat("k", 40),
		"TLS_CERT_FILE": certFile, "TLS_KEY_FILE": keyFile, "DEMO_ADMIN_EMAIL": email, "DEMO_ADMIN_PASSWORD": password})
	base := strings.Replace(s.base, "http://", "https://", 1)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken refreshToken expiresIn user { id name role } } }`,
		"variables": map[string]any{"email": email, "password": password},
	})
	res, err := client.Post(base+"/query", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		Data struct {
			Login struct{ AccessToken string } `json:"login"`
		} `json:"data"`
	}
	_ = json.NewDecoder(res.Body).Decode(&login)
	res.Body.Close()
	if login.Data.Login.AccessToken == "" {
		t.Fatalf("admin login failed: %d", res.StatusCode)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "audit.mjs", base+"/query")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "AUDIT_TOKEN="+login.Data.Login.AccessToken, "NODE_EXTRA_CA_CERTS="+certFile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("audit failed to run: %v\n%s", err, stderr.String())
	}
	var results []struct{ ID, Name, Status, Reason string }
	if err := json.Unmarshal(stdout.Bytes(), &results); err != nil || len(results) < 30 {
		t.Fatalf("audit output (%d results, %v): %s", len(results), err, stdout.String())
	}
	var pass, declined int
	for _, r := range results {
		switch {
		case r.Status == "ok":
			pass++
		case declinedAudits[r.ID] != "":
			declined++
		default:
			t.Errorf("%s %s (%s): %s", r.Status, r.Name, r.ID, r.Reason)
		}
	}
	if declined != len(declinedAudits) {
		t.Errorf("%d declined audits failed, want %d: a declined item now passes or was renamed; update declinedAudits", declined, len(declinedAudits))
	}
	t.Logf("graphql-http audit: %d of %d pass, %d declined", pass, len(results), declined)
}
