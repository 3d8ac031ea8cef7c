package main

import (
	"net/http"
	"strings"
	"testing"
)

func TestLoginLockoutAndResetOnSuccess(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	const email, password = "lock@example.com", "the right passphrase"
	s.register(email, "Lock", password)
	const q = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`
	login := func(p string) *gqlResponse { return s.do("", q, map[string]any{"e": email, "p": p}) }

	// Four failures, then a success resets the account's count...
	for i := range 4 {
		if r := login("wrong passphrase!"); r.code() != "INVALID_CREDENTIALS" {
			t.Fatalf("failure %d: code %q", i+1, r.code())
		}
	}
	if r := login(password); len(r.Errors) > 0 {
		t.Fatalf("login after 4 failures: %+v", r.Errors)
	}
	// ...so five more failures are needed to lock it.
	for i := range 5 {
		if r := login("wrong passphrase!"); r.code() != "INVALID_CREDENTIALS" {
			t.Fatalf("failure %d after reset: code %q", i+1, r.code())
		}
	}
	r := login(password)
	if r.code() != "TOO_MANY_ATTEMPTS" {
		t.Fatalf("6th attempt: code %q, want TOO_MANY_ATTEMPTS", r.code())
	}
	if ra, _ := r.Errors[0].Extensions["retryAfter"].(float64); ra < 1 {
		t.Errorf("retryAfter = %v, want >= 1", r.Errors[0].Extensions["retryAfter"])
	}
	// An unknown account is locked out the same way: nothing tells them apart.
	for range 5 {
		s.do("", q, map[string]any{"e": "ghost@example.com", "p": "wrong passphrase!"})
	}
	if r := s.do("", q, map[string]any{"e": "ghost@example.com", "p": "wrong passphrase!"}); r.code() != "TOO_MANY_ATTEMPTS" {
		t.Fatalf("unknown account: code %q, want TOO_MANY_ATTEMPTS", r.code())
	}
}

func TestHTTPHardeningOnTheDemo(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	res, err := http.Post(s.base+"/query", "text/plain", strings.NewReader(`{"query":"mutation { logout(refreshToken: \"x\") }"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("text/plain POST (CSRF shape): status %d, want 400", res.StatusCode)
	}
	r := s.do("", `{ posts { nodes { id } } }`, nil)
	for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Cache-Control", "Referrer-Policy", "X-Request-Id", "RateLimit-Limit", "RateLimit-Remaining"} {
		if r.Header.Get(h) == "" {
			t.Errorf("response lacks %s", h)
		}
	}
	big := strings.NewReader(`{"query":"` + strings.Repeat("a", 2<<20) + `"}`)
	res, err = http.Post(s.base+"/query", "application/json", big)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB body: status %d, want 413", res.StatusCode)
	}
}

// @rateLimit (OWASP API6): the 21st post within a minute is refused with
// RATE_LIMITED and a retryAfter; another caller is unaffected.
func TestBusinessFlowRateLimit(t *testing.T) {
	t.Parallel()
	s, alice, bob, _, _, _ := accounts(t)
	const q = `mutation { createPost(input: {title: "t", body: "b"}) { id } }`
	for i := range 20 {
		if r := s.do(alice, q, nil); len(r.Errors) > 0 {
			t.Fatalf("post %d refused: %+v", i+1, r.Errors)
		}
	}
	r := s.do(alice, q, nil)
	if r.code() != "RATE_LIMITED" {
		t.Fatalf("21st post: code %q, want RATE_LIMITED", r.code())
	}
	if ra, _ := r.Errors[0].Extensions["retryAfter"].(float64); ra < 1 {
		t.Errorf("retryAfter = %v, want >= 1", r.Errors[0].Extensions["retryAfter"])
	}
	if r := s.do(bob, q, nil); len(r.Errors) > 0 {
		t.Fatalf("Bob's first post refused after Alice's flood: %+v", r.Errors)
	}
}
