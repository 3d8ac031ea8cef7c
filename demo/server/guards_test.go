package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// deep nests posts → author → posts … n levels.
func deep(n int) string {
	var b strings.Builder
	b.WriteString("{ posts(first: 1) { nodes { ")
	for range n {
		b.WriteString("author { posts(first: 1) { nodes { ")
	}
	b.WriteString("id")
	for range n {
		b.WriteString(" } } }")
	}
	b.WriteString(" } } }")
	return b.String()
}

func aliases(n int) string {
	var b strings.Builder
	b.WriteString("{ me { ")
	for i := range n {
		b.WriteString("a")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(strings.Repeat("y", i/26))
		b.WriteString(": id ")
	}
	b.WriteString("} }")
	return b.String()
}

// TestOperationGuardsOnTheDemo sends hostile documents to the running demo:
// each is refused with 400 and its code before any resolver runs, while the
// benign document at the edge passes.
func TestOperationGuardsOnTheDemo(t *testing.T) {
	t.Parallel()
	s, _, _, admin, _, _ := accounts(t)
	cases := []struct {
		name, token, query, wantCode string
		wantStatus                   int
	}{
		{"depth_past_limit_refused", "", deep(16), "DEPTH_LIMIT_EXCEEDED", 400},
		{"depth_within_limit_passes", "", deep(3), "", 200},
		{"aliases_31_refused", "", aliases(31), "ALIAS_LIMIT_EXCEEDED", 400},
		{"aliases_30_pass", "", aliases(30), "", 200},
		{"introspection_anonymous_refused", "", `{ __schema { types { name } } }`, "INTROSPECTION_DISABLED", 403},
		{"introspection_admin_allowed", admin, `{ __schema { queryType { name } } }`, "", 200},
		{"typename_always_allowed", "", `{ __typename }`, "", 200},
		{"admin_gets_deeper_queries", admin, deep(7), "", 200},
	}
	for _, tc := range cases {
		r := s.do(tc.token, tc.query, nil)
		if r.code() != tc.wantCode || r.Status != tc.wantStatus {
			t.Errorf("%s: %d %q (%+v), want %d %q", tc.name, r.Status, r.code(), r.Errors, tc.wantStatus, tc.wantCode)
		}
	}
}

func TestSuggestionsWithheldFromAnonymous(t *testing.T) {
	t.Parallel()
	s, _, _, admin, _, _ := accounts(t)
	anon := s.do("", `{ postz { nodes { id } } }`, nil)
	if len(anon.Errors) == 0 || strings.Contains(anon.Errors[0].Message, "Did you mean") {
		t.Fatalf("anonymous misspelling: %+v, want an error without a suggestion", anon.Errors)
	}
	adm := s.do(admin, `{ postz { nodes { id } } }`, nil)
	if len(adm.Errors) == 0 || !strings.Contains(adm.Errors[0].Message, "Did you mean") {
		t.Fatalf("admin misspelling: %+v, want a suggestion", adm.Errors)
	}
}

func TestCostIsReported(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	res, err := http.Post(s.base+"/query", "application/json", strings.NewReader(`{"query":"{ posts(first: 10) { nodes { id author { name } } } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Extensions struct {
			Cost struct {
				RequestedQueryCost int64 `json:"requestedQueryCost"`
				MaximumAvailable   int64 `json:"maximumAvailable"`
				ThrottleStatus     *struct {
					MaximumAvailable int64 `json:"maximumAvailable"`
				} `json:"throttleStatus"`
			} `json:"cost"`
		} `json:"extensions"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	c := out.Extensions.Cost
	if c.RequestedQueryCost <= 0 || c.MaximumAvailable != 5000 || c.ThrottleStatus == nil || c.ThrottleStatus.MaximumAvailable != 20000 {
		t.Fatalf("extensions.cost = %+v", c)
	}
}

func TestBatchingRefused(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	batch := "[" + strings.TrimSuffix(strings.Repeat(`{"query":"{ me { id } }"},`, 1000), ",") + "]"
	res, err := http.Post(s.base+"/query", "application/json", strings.NewReader(batch))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !bytes.Contains(body, []byte("BATCHING_NOT_SUPPORTED")) {
		t.Fatalf("batch of 1000: %d %s", res.StatusCode, body)
	}
}

func TestTrustedDocumentsInProduction(t *testing.T) {
	t.Parallel()
	s := startDemo(t, map[string]string{"APP_ENV": "production", "JWT_SECRET": strings.Repeat("k", 40),
		"TRUSTED_PROXIES": "127.0.0.1", "DEMO_ADMIN_EMAIL": "root@example.com", "DEMO_ADMIN_PASSWORD": "an admin passphrase"})
	s.forwardedProto = "https" // the test plays the TLS-terminating proxy
	// A document from the manifest runs.
	const posts = "query Posts($first: Int, $after: String) { posts(first: $first, after: $after) { nodes { id title author { id name } createdAt } pageInfo { hasNextPage endCursor } } }"
	if r := s.do("", posts, map[string]any{"first": 5}); len(r.Errors) > 0 {
		t.Fatalf("trusted document refused: %+v", r.Errors)
	}
	// Anything else is refused for non-admins.
	r := s.do("", `{ posts { nodes { id } } }`, nil)
	if r.Status != http.StatusBadRequest || !strings.HasPrefix(r.code(), "PERSISTED_QUERY") {
		t.Fatalf("arbitrary document: %d %q, want 400 PERSISTED_QUERY_*", r.Status, r.code())
	}
	// Admins may send arbitrary documents; login is itself in the manifest.
	const login = "mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken refreshToken expiresIn user { id name role } } }"
	lr := s.do("", login, map[string]any{"email": "root@example.com", "password": "an admin passphrase"})
	admin, _ := dig(lr.Data, "login", "accessToken").(string)
	if admin == "" {
		t.Fatalf("admin login through the manifest: %+v", lr.Errors)
	}
	if r := s.do(admin, `{ users { nodes { id } } }`, nil); len(r.Errors) > 0 {
		t.Fatalf("admin arbitrary document: %+v", r.Errors)
	}
}
