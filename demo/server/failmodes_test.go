package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
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

// changeOldPassword logs in three times as a new user, changes the
// password with the first session, and returns the other two sessions'
// tokens (all issued before the change, so all refused from then on).
func changeOldPassword(t *testing.T, s *demoServer, email string) (access, refresh [2]string) {
	t.Helper()
	const oldPass, newPass = "a long enough passphrase", "a brand new passphrase, quite long"
	s.register(email, "Cut", oldPass)
	caller, _ := s.loginTokens(email, oldPass)
	for i := range access {
		access[i], refresh[i] = s.loginTokens(email, oldPass)
	}
	const change = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`
	if r := s.do(caller, change, map[string]any{"c": oldPass, "n": newPass}); dig(r.Data, "changePassword") != true {
		t.Fatalf("changePassword: %d %+v", r.Status, r.Errors)
	}
	return access, refresh
}

// wantCutOff checks that an access token and a refresh token issued
// before a password change are refused by s.
func wantCutOff(t *testing.T, s *demoServer, when, access, refresh string) {
	t.Helper()
	if r := s.do(access, `{ me { id } }`, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("%s: access token issued before the password change: %d %q, want 401", when, r.Status, r.code())
	}
	if refresh == "" {
		return
	}
	r := s.do("", `mutation($t: String!) { refreshToken(token: $t) { accessToken } }`, map[string]any{"t": refresh})
	if r.code() != "INVALID_CREDENTIALS" || dig(r.Data, "refreshToken", "accessToken") != nil {
		t.Fatalf("%s: refresh token issued before the password change: %d %q, want INVALID_CREDENTIALS", when, r.Status, r.code())
	}
}

// A password change refuses every token issued before it, and keeps
// refusing them after the server restarts: the cutoff is in the database,
// and the process's memory is seeded from it at start. (Each token is
// presented once: a refused refresh token's family is revoked, which
// would refuse it again for another reason.) The new password still logs
// in on the restarted server.
func TestSessionCutoffsSurviveRestart(t *testing.T) {
	t.Parallel()
	env := map[string]string{"JWT_SECRET": strings.Repeat("c", 40)}
	db := filepath.Join(t.TempDir(), "demo.db")
	s := startDemoDB(t, env, db)
	access, refresh := changeOldPassword(t, s, "cut-restart@example.com")
	wantCutOff(t, s, "before the restart", access[0], refresh[0])

	s.stop()
	s = startDemoDB(t, env, db)
	wantCutOff(t, s, "after the restart", access[1], refresh[1])
	fresh, _ := s.loginTokens("cut-restart@example.com", "a brand new passphrase, quite long")
	if r := s.do(fresh, `{ me { id } }`, nil); r.Status != http.StatusOK || dig(r.Data, "me", "id") == nil {
		t.Fatalf("a session after the password change: %d %q, want 200", r.Status, r.code())
	}
}

// With Redis, a password change's cutoff survives Redis restarting empty
// (no persistence): the replicas seed it again from the database with the
// revocations before they trust Redis. (Refresh tokens live in Redis and
// are gone with it, so only access tokens are left to refuse.)
func TestSessionCutoffsSurviveRedisRestart(t *testing.T) {
	t.Parallel()
	a, b, redis := replicas(t)
	access, _ := changeOldPassword(t, a, "cut-redis@example.com")
	wantCutOff(t, b, "before the Redis restart", access[0], "")
	redis.Stop(t)
	redis.Restart(t) // empty: persistence is off
	wantCutOff(t, b, "after the Redis restart", access[1], "")
	wantCutOff(t, a, "after the Redis restart", access[1], "")
	// A session after the change works on both replicas.
	fresh, _ := a.loginTokens("cut-redis@example.com", "a brand new passphrase, quite long")
	for _, s := range []*demoServer{a, b} {
		if r := s.do(fresh, `{ me { id } }`, nil); r.Status != http.StatusOK || dig(r.Data, "me", "id") == nil {
			t.Fatalf("a session after the password change: %d %q, want 200", r.Status, r.code())
		}
	}
}

// A login that verified the old password while a password change ran
// gets no session: the change stores its hash, then cuts the sessions
// again, and the login re-reads the hash after issuing its tokens. The
// test holds the login after its password check (a hook) until a
// changePassword on another connection has finished; without the second
// cut and the re-read, that login would wait out the cutoff's second and
// be handed a working token.
func TestLoginRacingPasswordChangeGetsNoSession(t *testing.T) {
	t.Parallel()
	const email, oldPass, newPass = "race@example.com", "a long enough passphrase", "a brand new passphrase, quite long"
	hold := make(chan chan struct{}, 1) // the held login's release
	var armed atomic.Bool
	s := startHooked(t, func(cfg *config) {
		cfg.passwordVerified = func(string) {
			if armed.CompareAndSwap(true, false) {
				release := make(chan struct{})
				hold <- release
				<-release
			}
		}
	})

	s.register(email, "Race", oldPass)
	caller, _ := s.loginTokens(email, oldPass)

	armed.Store(true)
	type result struct {
		status       int
		code, access string
	}
	done := make(chan result, 1)
	go func() {
		r := s.do("", `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, map[string]any{"e": email, "p": oldPass})
		access, _ := dig(r.Data, "login", "accessToken").(string)
		done <- result{r.Status, r.code(), access}
	}()
	release := <-hold // the login has verified the old password
	const change = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`
	if r := s.do(caller, change, map[string]any{"c": oldPass, "n": newPass}); dig(r.Data, "changePassword") != true {
		close(release)
		t.Fatalf("changePassword: %d %+v", r.Status, r.Errors)
	}
	close(release)
	res := <-done
	if res.access != "" {
		if r := s.do(res.access, `{ me { id } }`, nil); r.Status == http.StatusOK {
			t.Fatal("a login that verified the old password during the change got a working session")
		}
	}
	if res.code != "INVALID_CREDENTIALS" {
		t.Fatalf("the racing login: %d %q, want INVALID_CREDENTIALS", res.status, res.code)
	}
	// The new password logs in; the old one does not.
	if fresh, _ := s.loginTokens(email, newPass); s.do(fresh, `{ me { id } }`, nil).Status != http.StatusOK {
		t.Fatal("the new password's session does not work")
	}
}

// startHooked starts the demo (development mode, a temporary database)
// with test hooks set on its config by hook, and stops it when the test
// ends.
func startHooked(t *testing.T, hook func(*config)) *demoServer {
	t.Helper()
	env := map[string]string{"JWT_SECRET": strings.Repeat("h", 40)}
	cfg, err := parseConfig([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "demo.db")},
		func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	hook(cfg)
	return serveConfig(t, cfg, io.Discard)
}

// serveConfig runs the demo on cfg, logging to logs, and stops it when the
// test ends.
func serveConfig(t *testing.T, cfg *config, logs io.Writer) *demoServer {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	ready, served := make(chan string, 1), make(chan error, 1)
	go func() { served <- serve(ctx, cfg, logs, ready) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("server stopped with error: %v", err)
		}
	})
	select {
	case addr := <-ready:
		return &demoServer{t: t, base: "http://" + addr}
	case err := <-served:
		t.Fatalf("server did not start: %v", err)
	}
	return nil
}

// The other interleaving: a login that runs whole between a password
// change's first cutoff and its new hash verifies the old password, waits
// out the cutoff's second, re-reads an unchanged hash and gets its tokens;
// the change's second cutoff, once the hash is stored, refuses them.
func TestLoginBetweenCutAndNewHashIsRevoked(t *testing.T) {
	t.Parallel()
	const email, oldPass, newPass = "race2@example.com", "a long enough passphrase", "a brand new passphrase, quite long"
	hold := make(chan chan struct{}, 1) // the held password change's release
	s := startHooked(t, func(cfg *config) {
		cfg.passwordChanging = func(string) {
			release := make(chan struct{})
			hold <- release
			<-release
		}
	})
	s.register(email, "Race", oldPass)
	caller, _ := s.loginTokens(email, oldPass)
	const change = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`
	changed := make(chan *gqlResponse, 1)
	go func() { changed <- s.do(caller, change, map[string]any{"c": oldPass, "n": newPass}) }()
	release := <-hold // sessions cut, new hash not yet stored

	access, refresh := s.loginTokens(email, oldPass) // the old password still verifies
	close(release)
	if r := <-changed; dig(r.Data, "changePassword") != true {
		t.Fatalf("changePassword: %d %+v", r.Status, r.Errors)
	}
	wantCutOff(t, s, "after the password change", access, refresh)
}
