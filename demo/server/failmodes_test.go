package main

import (
	"net/http"
	"testing"
	"time"
)

// loginTokens logs in and returns the access and refresh tokens.
func (s *demoServer) loginTokens(email, pw string) (access, refresh string) {
	s.t.Helper()
	r := s.do("", `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }`, map[string]any{"e": email, "p": pw})
	access, _ = dig(r.Data, "login", "accessToken").(string)
	refresh, _ = dig(r.Data, "login", "refreshToken").(string)
	if access == "" || refresh == "" {
		s.t.Fatalf("login %s: %d %+v", email, r.Status, r.Errors)
	}
	return access, refresh
}

// With REDIS_FAIL_MODE=open and Redis down, an authenticated request is
// served (its revocation checked against the replica's copy and the
// database: a token revoked on the other replica before the outage stays
// refused), while what cannot work without Redis — refresh rotation, and
// logins, which issue a refresh token — answers 503 AUTH_UNAVAILABLE with
// Retry-After, at once; never a masked internal error.
func TestRedisOutageFailOpenIsHonest(t *testing.T) {
	t.Parallel()
	a, b, redis := replicas(t, "REDIS_FAIL_MODE", "open")
	const pw = "a long enough passphrase"
	a.register("open@example.com", "Open", pw)
	keep, refresh := a.loginTokens("open@example.com", pw)
	gone, goneRefresh := a.loginTokens("open@example.com", pw)
	if r := a.do(gone, `mutation($t: String!) { logout(refreshToken: $t) }`, map[string]any{"t": goneRefresh}); dig(r.Data, "logout") != true {
		t.Fatalf("logout: %+v", r)
	}
	redis.Stop(t)

	if r := b.do(keep, `{ me { id } }`, nil); r.Status != http.StatusOK || dig(r.Data, "me", "id") == nil {
		t.Fatalf("authenticated request during the outage: %d %q, want 200 with data", r.Status, r.code())
	}
	if r := b.do(gone, `{ me { id } }`, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("token revoked before the outage, on the other replica: %d, want 401", r.Status)
	}
	start := time.Now()
	r := b.do("", `mutation($t: String!) { refreshToken(token: $t) { accessToken } }`, map[string]any{"t": refresh})
	if r.Status != http.StatusServiceUnavailable || r.code() != "AUTH_UNAVAILABLE" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("refresh during the outage: %d %q Retry-After %q, want 503 AUTH_UNAVAILABLE with Retry-After", r.Status, r.code(), r.Header.Get("Retry-After"))
	}
	r = b.do("", `mutation { login(email: "open@example.com", password: "a long enough passphrase") { accessToken } }`, nil)
	if r.Status != http.StatusServiceUnavailable || r.code() != "AUTH_UNAVAILABLE" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("login during the outage: %d %q, want 503 AUTH_UNAVAILABLE with Retry-After", r.Status, r.code())
	}
	// Generous bound for a loaded CI machine: a stopped Redis refuses
	// connections at once, and neither commands nor dials are retried (with
	// go-redis's dial retries each call waited out its whole budget, 2 s in
	// these tests).
	t.Logf("two refusals took %v", time.Since(start))
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("two refusals took %v", d)
	}

	redis.Restart(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := b.do("", `mutation($t: String!) { refreshToken(token: $t) { accessToken } }`, map[string]any{"t": "x"})
		if r.code() == "INVALID_CREDENTIALS" {
			break // the refresh store answers again
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after Redis came back: %d %q", r.Status, r.code())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := b.do(keep, `{ me { id } }`, nil); r.Status != http.StatusOK {
		t.Fatalf("after recovery: %d %q", r.Status, r.code())
	}
	if r := a.do(gone, `{ me { id } }`, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked token after recovery: %d, want 401", r.Status)
	}
}

// A revoked access token stays revoked when Redis restarts empty (no
// persistence): the replicas notice the missing epoch key and re-seed Redis
// from the database before trusting it.
func TestRevocationsSurviveRedisRestart(t *testing.T) {
	t.Parallel()
	a, b, redis := replicas(t)
	const pw = "a long enough passphrase"
	a.register("durable@example.com", "Durable", pw)
	keep, _ := a.loginTokens("durable@example.com", pw)
	gone, goneRefresh := a.loginTokens("durable@example.com", pw)
	if r := a.do(gone, `mutation($t: String!) { logout(refreshToken: $t) }`, map[string]any{"t": goneRefresh}); dig(r.Data, "logout") != true {
		t.Fatalf("logout: %+v", r)
	}
	redis.Stop(t)
	redis.Restart(t) // empty: persistence is off
	for _, s := range []*demoServer{b, a} {
		if r := s.do(gone, `{ me { id } }`, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("revoked token after a Redis restart: %d, want 401", r.Status)
		}
		if r := s.do(keep, `{ me { id } }`, nil); r.Status != http.StatusOK || dig(r.Data, "me", "id") == nil {
			t.Fatalf("live token after a Redis restart: %d %q, want 200", r.Status, r.code())
		}
	}
	// Redis holds the list again.
	c := redis.Client(t)
	if n, err := c.Exists(t.Context(), revocationEpochKey).Result(); err != nil || n != 1 {
		t.Fatalf("epoch key after re-seeding: %d %v", n, err)
	}
}
