package authredis_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/authredis"
	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/internal/redistest"
)

// failFast bounds how long a call may take when Redis is down or hung. The
// stores use DefaultTimeout (100 ms); the rest is slack for -race and a
// loaded machine.
const failFast = time.Second

// ops calls every method of both stores once, with fresh keys.
func ops(rev *authredis.Revocations, rs *authredis.RefreshStore) map[string]func(context.Context) error {
	now := time.Now()
	return map[string]func(context.Context) error{
		"IsRevoked": func(ctx context.Context) error { _, err := rev.IsRevoked(ctx, rand.Text()); return err },
		"Revoke":    func(ctx context.Context) error { return rev.Revoke(ctx, rand.Text(), now.Add(time.Hour)) },
		"Create":    func(ctx context.Context) error { return rs.Create(ctx, record(rand.Text(), now)) },
		"Get": func(ctx context.Context) error {
			_, err := rs.Get(ctx, rand.Text())
			if errors.Is(err, auth.ErrNotFound) {
				return nil // an answer: Redis is up
			}
			return err
		},
		"Rotate": func(ctx context.Context) error {
			fam := rand.Text()
			old := record(fam, now)
			if err := rs.Create(ctx, old); err != nil {
				return err
			}
			return rs.Rotate(ctx, old.Hash, now, record(fam, now))
		},
		"RevokeFamily": func(ctx context.Context) error { return rs.RevokeFamily(ctx, rand.Text()) },
	}
}

func storesOn(t *testing.T, client redis.UniversalClient) (*authredis.Revocations, *authredis.RefreshStore) {
	t.Helper()
	rev, err := authredis.NewRevocations(client, authredis.Options{}) // default 100 ms timeout
	if err != nil {
		t.Fatal(err)
	}
	rs, err := authredis.NewRefreshStore(client, authredis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rev, rs
}

// expectUnavailable runs every operation and wants each to fail fast with
// auth.ErrUnavailable.
func expectUnavailable(t *testing.T, state string, calls map[string]func(context.Context) error) {
	t.Helper()
	for name, f := range calls {
		start := time.Now()
		err := f(context.Background())
		took := time.Since(start)
		if !errors.Is(err, auth.ErrUnavailable) {
			t.Errorf("%s, %s: err = %v, want one wrapping auth.ErrUnavailable", state, name, err)
		}
		if took >= failFast {
			t.Errorf("%s, %s: took %v, want < %v", state, name, took, failFast)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "authredis: ") {
			t.Errorf("%s, %s: error %q lacks the package prefix", state, name, err)
		}
	}
}

// expectWorking runs every operation and wants each to succeed; the first
// call after a restart may meet a connection the server closed, so each is
// retried for a few seconds.
func expectWorking(t *testing.T, state string, calls map[string]func(context.Context) error) {
	t.Helper()
	for name, f := range calls {
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := f(context.Background())
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s, %s: still failing: %v", state, name, err)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestRedisDownFailsClosed stops, then freezes, a private redis-server:
// every call fails within the timeout with auth.ErrUnavailable, and works
// again once Redis is back. The second client ignores context deadlines
// (ContextTimeoutEnabled off), the slow path the stores must still bound.
func TestRedisDownFailsClosed(t *testing.T) {
	srv := redistest.Start(t)
	honouring := srv.Client(t)
	opts := srv.Options()
	opts.ContextTimeoutEnabled = false
	ignoring := redis.NewClient(opts)
	t.Cleanup(func() { _ = ignoring.Close() })

	clients := map[string]redis.UniversalClient{"ctx_timeout_enabled": honouring, "ctx_timeout_ignored": ignoring}
	calls := map[string]map[string]func(context.Context) error{}
	for name, c := range clients {
		calls[name] = ops(storesOn(t, c))
	}
	for name := range clients {
		expectWorking(t, name+"/up", calls[name])
	}

	srv.Stop(t)
	for name := range clients {
		expectUnavailable(t, name+"/stopped", calls[name])
	}
	srv.Restart(t)
	for name := range clients {
		expectWorking(t, name+"/restarted", calls[name])
	}

	srv.Pause(t)
	for name := range clients {
		expectUnavailable(t, name+"/hung", calls[name])
	}
	srv.Resume(t)
	for name := range clients {
		expectWorking(t, name+"/resumed", calls[name])
	}
}

// TestCallerDeadlineIsKept: a caller's shorter deadline or cancellation wins
// over the store's timeout, and is reported as unavailable, not as a hang.
func TestCallerDeadlineIsKept(t *testing.T) {
	t.Parallel()
	rev := newRevocations(t, redistest.Client(t), redistest.Prefix(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := rev.IsRevoked(ctx, "tok")
	if !errors.Is(err, auth.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v, want ErrUnavailable wrapping context.Canceled", err)
	}
}

// panicClient is a client whose every command panics, as a buggy hook would.
type panicClient struct{ redis.UniversalClient }

func (panicClient) Exists(context.Context, ...string) *redis.IntCmd { panic("boom") }

// TestClientPanicIsUnavailable: a panicking client becomes an error, never a
// crashed request.
func TestClientPanicIsUnavailable(t *testing.T) {
	t.Parallel()
	rev, err := authredis.NewRevocations(panicClient{redistest.Client(t)}, authredis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rev.IsRevoked(context.Background(), "tok"); !errors.Is(err, auth.ErrUnavailable) {
		t.Fatalf("panicking client: %v, want ErrUnavailable", err)
	}
}

// render is what a client sees of a response, in the format of auth's own
// golden files.
func render(rec *httptest.ResponseRecorder) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status: %d\n", rec.Code)
	for _, h := range []string{"Cache-Control", "Content-Type", "Retry-After", "Www-Authenticate"} {
		if v := rec.Header().Get(h); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	b.WriteString("\n")
	b.WriteString(rec.Body.String())
	b.WriteString("\n")
	return b.String()
}

// checkAuthGolden compares a response with auth's golden file of that name:
// Redis-backed revocation must look exactly like auth's own refusals.
func checkAuthGolden(t *testing.T, name string, rec *httptest.ResponseRecorder) {
	t.Helper()
	want, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if got := render(rec); got != string(want) {
		t.Fatalf("response differs from auth/testdata/%s:\n got: %q\nwant: %q", name, got, want)
	}
}

// TestMiddlewareAcrossReplicas wires two replicas, each a jwt.Verifier with
// its own Redis client behind auth.Middleware: a logout on one is refused
// (401) on the other, and with Redis down both answer 503, fast.
func TestMiddlewareAcrossReplicas(t *testing.T) {
	srv := redistest.Start(t)
	cfg := jwt.Config{
		Issuer:   "https://api.example.com",
		Audience: "example-api",
		Keys:     []jwt.Key{{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")}},
	}
	issuer, err := jwt.NewIssuer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	type replica struct {
		verifier *jwt.Verifier
		handler  http.Handler
	}
	var replicas [2]replica
	for i := range replicas {
		rev, err := authredis.NewRevocations(srv.Client(t), authredis.Options{})
		if err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.Revocations = rev
		v, err := jwt.NewVerifier(c)
		if err != nil {
			t.Fatal(err)
		}
		replicas[i] = replica{v, auth.Middleware(v, auth.MiddlewareOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, _ := auth.PrincipalFrom(r.Context())
			fmt.Fprint(w, "hello ", p.Subject)
		}))}
	}
	serve := func(r replica, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/query", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		r.handler.ServeHTTP(rec, req)
		return rec
	}
	mint := func() string {
		at, err := issuer.Issue(auth.Principal{Subject: "user-42"})
		if err != nil {
			t.Fatal(err)
		}
		return at.Token
	}
	ctx := context.Background()

	loggedOut, kept := mint(), mint()
	for i, r := range replicas {
		if rec := serve(r, loggedOut); rec.Code != http.StatusOK || rec.Body.String() != "hello user-42" {
			t.Fatalf("replica %d before logout: %d %q", i, rec.Code, rec.Body)
		}
	}
	// Logout on replica 0.
	p, err := replicas[0].verifier.Verify(ctx, loggedOut)
	if err != nil {
		t.Fatal(err)
	}
	if err := replicas[0].verifier.Revoke(ctx, p); err != nil {
		t.Fatalf("logout: %v", err)
	}
	for i, r := range replicas {
		checkAuthGolden(t, "unauthorized.golden", serve(r, loggedOut))
		if rec := serve(r, kept); rec.Code != http.StatusOK {
			t.Fatalf("replica %d: another token of the same user after logout: %d", i, rec.Code)
		}
	}

	srv.Stop(t)
	for _, tok := range []string{kept, loggedOut} {
		start := time.Now()
		rec := serve(replicas[1], tok)
		if took := time.Since(start); took >= failFast {
			t.Errorf("Redis down: answered after %v, want < %v", took, failFast)
		}
		checkAuthGolden(t, "unavailable.golden", rec)
	}
	srv.Restart(t) // empty: persistence is off, so the revocation is gone
	deadline := time.Now().Add(5 * time.Second)
	for rec := serve(replicas[1], kept); rec.Code != http.StatusOK; rec = serve(replicas[1], kept) {
		if time.Now().After(deadline) {
			t.Fatalf("after restart: %d %q", rec.Code, rec.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
