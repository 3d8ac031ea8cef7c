package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rampart-go/rampart/internal/redistest"
	"github.com/rampart-go/rampart/webhook"
)

// replicas starts two demo servers sharing one database and one Redis, as
// two replicas behind a load balancer would.
func replicas(t *testing.T, extraEnv ...string) (a, b *demoServer, redis *redistest.Server) {
	t.Helper()
	redis = redistest.Start(t)
	// A generous per-call budget: -race on a loaded CI machine can take
	// more than the production 100 ms; a stopped Redis still fails at once
	// (connection refused).
	env := map[string]string{"REDIS_URL": "redis://" + redis.Addr() + "/0", "JWT_SECRET": strings.Repeat("r", 40), "REDIS_TIMEOUT": "2s"}
	for i := 0; i+1 < len(extraEnv); i += 2 {
		env[extraEnv[i]] = extraEnv[i+1]
	}
	db := filepath.Join(t.TempDir(), "shared.db")
	return startDemoDB(t, env, db), startDemoDB(t, env, db), redis
}

// The anonymous limit (120 per minute per IP) holds across both replicas:
// with requests alternating between them, the first 429 comes after about
// 120 successes (plus what refilled meanwhile, 2 per second), not the 240
// two separate limits would allow.
func TestReplicasShareRateLimit(t *testing.T) {
	t.Parallel()
	a, b, _ := replicas(t)
	start := time.Now()
	allowed := 0
	for i := range 300 {
		s := a
		if i%2 == 1 {
			s = b
		}
		r := s.do("", `{ __typename }`, nil)
		if r.Status == http.StatusTooManyRequests {
			break
		}
		if r.Status != http.StatusOK {
			t.Fatalf("request %d: status %d", i+1, r.Status)
		}
		allowed++
	}
	refill := int(2*time.Since(start).Seconds()) + 1
	if allowed < 120 || allowed > 120+refill {
		t.Fatalf("%d requests allowed across the replicas before 429, want 120 (+%d refilled)", allowed, refill)
	}
}

// A caller capped at K WebSocket connections cannot open K+1 across the
// two replicas.
func TestReplicasShareConnectionCap(t *testing.T) {
	t.Parallel()
	a, b, _ := replicas(t)
	tok, _, _ := a.register("ws@example.com", "WS", "a long enough passphrase")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const capPerCaller = 10 // wssec.DefaultMaxConnsPerCaller
	h := http.Header{"Authorization": []string{"Bearer " + tok}}
	for i := range capPerCaller {
		s := a
		if i%2 == 1 {
			s = b
		}
		c, _, err := websocket.Dial(ctx, s.wsURL("/chat"), &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			t.Fatalf("connection %d: %v", i+1, err)
		}
		defer c.CloseNow()
	}
	for _, s := range []*demoServer{a, b} {
		_, res, err := websocket.Dial(ctx, s.wsURL("/chat"), &websocket.DialOptions{HTTPHeader: h})
		if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("connection past the shared cap: err %v res %v, want 429", err, res)
		}
	}
}

// With Redis gone the rate limit fails closed (503 with its code) within
// the call timeout, and recovers when Redis returns.
func TestRedisOutageFailsClosed(t *testing.T) {
	t.Parallel()
	a, _, redis := replicas(t)
	if r := a.do("", `{ __typename }`, nil); r.Status != http.StatusOK {
		t.Fatalf("before outage: %d", r.Status)
	}
	redis.Stop(t)
	start := time.Now()
	r := a.do("", `{ __typename }`, nil)
	if r.Status != http.StatusServiceUnavailable || r.code() != "RATE_LIMIT_UNAVAILABLE" {
		t.Fatalf("during outage: %d %q, want 503 RATE_LIMIT_UNAVAILABLE", r.Status, r.code())
	}
	// A refused connection answers in milliseconds; a hung one would wait
	// out the per-call budget (REDIS_TIMEOUT, 2 s here). The bound leaves
	// a loaded CI machine room above that budget, and is far below what an
	// unbounded call would take.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusal took %v; the per-call timeout (2 s) should bound it", d)
	}
	redis.Restart(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if r := a.do("", `{ __typename }`, nil); r.Status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no recovery after Redis came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Logout on one replica is honoured by the other: the access token (Redis
// denylist) and the refresh token (Redis refresh store) are refused there.
func TestReplicasShareLogout(t *testing.T) {
	t.Parallel()
	a, b, _ := replicas(t)
	a.register("out@example.com", "Out", "a long enough passphrase")
	lr := a.do("", `mutation { login(email: "out@example.com", password: "a long enough passphrase") { accessToken refreshToken } }`, nil)
	access, _ := dig(lr.Data, "login", "accessToken").(string)
	refresh, _ := dig(lr.Data, "login", "refreshToken").(string)
	if r := b.do(access, `{ me { id } }`, nil); dig(r.Data, "me", "id") == nil {
		t.Fatalf("token from replica A refused on B before logout: %+v", r)
	}
	if r := a.do(access, `mutation($t: String!) { logout(refreshToken: $t) }`, map[string]any{"t": refresh}); dig(r.Data, "logout") != true {
		t.Fatalf("logout on A: %+v", r)
	}
	if r := b.do(access, `{ me { id } }`, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("access token on B after logout on A: status %d, want 401", r.Status)
	}
	if r := b.do("", `mutation($t: String!) { refreshToken(token: $t) { accessToken } }`, map[string]any{"t": refresh}); r.code() != "INVALID_CREDENTIALS" {
		t.Fatalf("refresh token on B after logout on A: %q, want INVALID_CREDENTIALS", r.code())
	}
}

// REDIS_FAIL_MODE=open lets traffic through while Redis is down.
func TestRedisOutageFailOpen(t *testing.T) {
	t.Parallel()
	a, _, redis := replicas(t, "REDIS_FAIL_MODE", "open")
	redis.Stop(t)
	if r := a.do("", `{ __typename }`, nil); r.Status != http.StatusOK {
		t.Fatalf("fail-open during outage: %d %q, want 200", r.Status, r.code())
	}
	redis.Restart(t)
	if r := a.do("", `{ __typename }`, nil); r.Status != http.StatusOK || r.Header.Get("RateLimit-Limit") == "" {
		t.Fatalf("after recovery: %d, RateLimit-Limit %q", r.Status, r.Header.Get("RateLimit-Limit"))
	}
}

// A TOTP code accepted by one replica is refused by the other.
func TestReplicasShareUsedTOTPCodes(t *testing.T) {
	t.Parallel()
	a, b, _ := replicas(t)
	tok, _, _ := a.register("otp@example.com", "Otp", "a long enough passphrase")
	_, secret := a.withMFA(tok)
	code := totpCode(t, secret, time.Now().Add(30*time.Second))
	const step = `mutation($c: String!) { stepUp(code: $c) { accessToken } }`
	if r := a.do(tok, step, map[string]any{"c": code}); dig(r.Data, "stepUp", "accessToken") == nil {
		t.Fatalf("step-up on A: %+v", r.Errors)
	}
	if r := b.do(tok, step, map[string]any{"c": code}); r.code() != "MFA_INVALID" {
		t.Fatalf("same code on B: %q, want MFA_INVALID", r.code())
	}
}

// A signed webhook delivery accepted by one replica is a replay on the
// other.
func TestReplicasShareWebhookReplays(t *testing.T) {
	t.Parallel()
	secret := []byte(strings.Repeat("w", 32))
	a, b, _ := replicas(t, "WEBHOOK_SECRETS", string(secret))
	body := []byte(`{"id":"evt_1","type":"comment.flagged"}`)
	sig := webhook.Sign(secret, time.Now(), body)
	for i, s := range []*demoServer{a, b} {
		req, _ := http.NewRequest(http.MethodPost, s.base+"/webhooks/moderation", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Stripe-Signature", sig)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := []int{http.StatusOK, http.StatusUnauthorized}[i]
		if res.StatusCode != want {
			t.Fatalf("delivery %d: status %d, want %d", i+1, res.StatusCode, want)
		}
	}
}
