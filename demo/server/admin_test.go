package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rampart-go/rampart/wssec"
)

// The seeded admin of the console tests.
const (
	adminEmail    = "root@example.com"
	adminPassword = "an admin passphrase for the console"
)

// adminEnv is the environment of a demo with the seeded admin.
func adminEnv(extra map[string]string) map[string]string {
	env := map[string]string{"DEMO_ADMIN_EMAIL": adminEmail, "DEMO_ADMIN_PASSWORD": adminPassword}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// adminLogin logs the seeded admin in (with a one-time code when otp is
// set) and returns the access token and the admin's id.
func (s *demoServer) adminLogin(otp string) (token, id string) {
	s.t.Helper()
	vars := map[string]any{"e": adminEmail, "p": adminPassword}
	if otp != "" {
		vars["o"] = otp
	}
	r := s.do("", `mutation($e: String!, $p: String!, $o: String) { login(email: $e, password: $p, otp: $o) { accessToken user { id } } }`, vars)
	token, _ = dig(r.Data, "login", "accessToken").(string)
	id, _ = dig(r.Data, "login", "user", "id").(string)
	if token == "" {
		s.t.Fatalf("admin login: %+v", r.Errors)
	}
	return token, id
}

// dialChat opens /chat as token's user from Go and returns the connection
// and a channel that receives its close status once it ends.
func (s *demoServer) dialChat(t *testing.T, token string) (*websocket.Conn, <-chan websocket.StatusCode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	c, _, err := websocket.Dial(ctx, s.wsURL("/chat"), &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}, Subprotocols: []string{chatSubprotocol},
	})
	if err != nil {
		t.Fatalf("dial /chat: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	closed := make(chan websocket.StatusCode, 1)
	go func() {
		for {
			if _, _, err := c.Read(ctx); err != nil {
				closed <- websocket.CloseStatus(err)
				return
			}
		}
	}()
	return c, closed
}

// revoke posts to /admin/revoke and returns the status and decoded body.
func (s *demoServer) revoke(h http.Header, body string) (int, map[string]any) {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.base+"/admin/revoke", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("POST /admin/revoke: %v", err)
	}
	defer res.Body.Close()
	out := map[string]any{}
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		s.t.Fatalf("/admin/revoke answered %d with non-JSON %q", res.StatusCode, raw)
	}
	return res.StatusCode, out
}

// TestAdminRevokeGuards: POST /admin/revoke refuses whoever is not an
// admin with a fresh second factor, and any request a cross-site page
// could send (a foreign Origin, a form's content type), each with an audit
// record; the admin who stepped up closes the user's socket with 4403, and
// the token that socket used no longer works.
func TestAdminRevokeGuards(t *testing.T) {
	t.Parallel()
	logw := &syncBuffer{}
	s := startDemoLog(t, adminEnv(nil), filepath.Join(t.TempDir(), "demo.db"), logw)
	bob, _, bobID := s.register("bob@example.com", "Bob", "bob's long passphrase!")
	_, closed := s.dialChat(t, bob)
	pwdOnly, _ := s.adminLogin("")
	stepped, _ := s.withMFA(pwdOnly)
	body := `{"subject":"` + bobID + `"}`
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

	refusals := []struct {
		name   string
		h      http.Header
		body   string
		status int
		code   string
	}{
		{"no_token", nil, body, 401, "UNAUTHENTICATED"},
		{"user_token", bearer(bob), body, 401, "UNAUTHENTICATED"},
		{"admin_without_second_factor", bearer(pwdOnly), body, 403, "MFA_REQUIRED"},
		{"foreign_origin", http.Header{"Authorization": {"Bearer " + stepped}, "Origin": {"http://evil.example"}}, body, 403, "CSRF_REJECTED"},
		{"form_content_type", http.Header{"Authorization": {"Bearer " + stepped}, "Content-Type": {"application/x-www-form-urlencoded"}}, body, 415, "CSRF_REJECTED"},
		{"unknown_field", bearer(stepped), `{"subject":"` + bobID + `","all":true}`, 400, "BAD_USER_INPUT"},
	}
	for _, tc := range refusals {
		status, out := s.revoke(tc.h, tc.body)
		if status != tc.status || out["code"] != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.name, status, out, tc.status, tc.code)
		}
	}
	select {
	case code := <-closed:
		t.Fatalf("Bob's socket closed (%d) by a refused revocation", code)
	default:
	}
	if log := logw.String(); strings.Count(log, `"path":"/admin/revoke"`) < len(refusals) {
		t.Errorf("want an audit record per refusal, log:\n%s", log)
	}

	status, out := s.revoke(bearer(stepped), body)
	if status != 200 || out["closed"] != float64(1) || out["revokedTokens"] != float64(1) {
		t.Fatalf("revoke: %d %v, want 200 closed 1 revokedTokens 1", status, out)
	}
	select {
	case code := <-closed:
		if code != wssec.CloseForbidden {
			t.Fatalf("Bob's socket closed with %d, want 4403", code)
		}
	case <-time.After(time.Minute):
		t.Fatal("Bob's socket was not closed")
	}
	if r := s.do(bob, `{ me { id } }`, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("Bob's revoked token: status %d, want 401", r.Status)
	}
	if strings.Contains(logw.String(), stepped) || strings.Contains(logw.String(), bob) {
		t.Fatal("a token reached the log")
	}
}

// TestAdminLiveHandshake: /admin/live is for admins, from the demo's own
// origin only (ALLOWED_ORIGINS does not extend it), and sends snapshots.
func TestAdminLiveHandshake(t *testing.T) {
	t.Parallel()
	const allowed = "http://app.example"
	s := startDemo(t, adminEnv(map[string]string{"ALLOWED_ORIGINS": allowed}))
	admin, adminID := s.adminLogin("")
	bob, _, _ := s.register("bob@example.com", "Bob", "bob's long passphrase!")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dial := func(token, origin string) (*websocket.Conn, int, error) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, res, err := websocket.Dial(ctx, s.wsURL("/admin/live"), &websocket.DialOptions{
			HTTPHeader: h, Subprotocols: []string{adminSubprotocol, "bearer." + token},
		})
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		return c, status, err
	}
	for _, tc := range []struct {
		name, token, origin string
		status              int
	}{
		{"user_token", bob, "", 401},
		{"allowed_origin_of_the_api", admin, allowed, 403},
		{"foreign_origin", admin, "http://evil.example", 403},
	} {
		if c, status, err := dial(tc.token, tc.origin); err == nil || status != tc.status {
			if c != nil {
				c.CloseNow()
			}
			t.Errorf("%s: status %d err %v, want %d", tc.name, status, err, tc.status)
		}
	}
	c, _, err := dial(admin, s.base)
	if err != nil {
		t.Fatalf("admin from the demo's origin: %v", err)
	}
	defer c.CloseNow()
	if c.Subprotocol() != adminSubprotocol {
		t.Fatalf("subprotocol %q, want %q", c.Subprotocol(), adminSubprotocol)
	}
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var snap adminSnapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		t.Fatalf("snapshot %q: %v", data, err)
	}
	if len(snap.Sessions) != 1 || snap.Sessions[0].Subject != adminID || snap.Sessions[0].Connections[0].Subprotocol != adminSubprotocol {
		t.Fatalf("sessions %+v: want the admin's own console socket", snap.Sessions)
	}
	if snap.Budget.Points != costBudgetRate().Capacity() || len(snap.Budget.Callers) == 0 || snap.Budget.Callers[0].Subject != adminID {
		t.Fatalf("budget %+v", snap.Budget)
	}
}

// TestAdminBudgetPeek pins the console's read of the cost budget to the
// bucket gqlsec.CostLimit spends (its key and rate): with the limiter's
// clock frozen, the peek equals what extensions.cost reported, and peeking
// spends nothing.
func TestAdminBudgetPeek(t *testing.T) {
	t.Parallel()
	frozen := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	cfg, err := parseConfig([]string{"-db", filepath.Join(t.TempDir(), "demo.db")}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.now = func() time.Time { return frozen }
	a, err := newApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.handler)
	defer srv.Close()
	post := func(token, query string, vars map[string]any) map[string]any {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/query", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out := map[string]any{}
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	reg := post("", registerMutation, map[string]any{"in": map[string]any{"email": "c@example.com", "name": "C", "password": "a long enough passphrase"}})
	token, _ := dig(reg, "data", "register", "accessToken").(string)
	id, _ := dig(reg, "data", "register", "user", "id").(string)
	if token == "" {
		t.Fatalf("register: %v", reg)
	}
	r := post(token, `{ posts(first: 50) { nodes { id comments(first: 50) { nodes { id } } } } }`, nil)
	left, ok := dig(r, "extensions", "cost", "throttleStatus", "currentlyAvailable").(float64)
	if !ok || int(left) >= costBudgetRate().Capacity() {
		t.Fatalf("extensions.cost %v: want a spent budget", dig(r, "extensions", "cost"))
	}
	for range 2 {
		d, err := a.shared.limiter.Allow(context.Background(), costBudgetKey(id), costBudgetRate(), 0)
		if err != nil || d.Remaining != int(left) {
			t.Fatalf("peek: %+v %v, want %d left", d, err, int(left))
		}
	}
}

// TestRejectionLog: counts per guard and code over the window (older
// minutes fall out), the latest events newest first, bounded fields, and
// the tap passing every record on.
func TestRejectionLog(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 12, 0, 30, 0, time.UTC)
	l := newRejectionLog(func() time.Time { return now })
	var out bytes.Buffer
	log := slog.New(auditTap{next: slog.NewJSONHandler(&out, nil), log: l})
	changed := l.Changed()
	log.Warn(msgGraphQLReject, "code", "DEPTH_LIMIT_EXCEEDED", "subject", "anonymous", "request_id", "r1", "operation", strings.Repeat("x", 500))
	select {
	case <-changed:
	default:
		t.Fatal("Changed not signalled")
	}
	now = now.Add(3 * time.Minute)
	log.Warn(msgHTTPReject, "event", "reject", "code", "CSRF_REJECTED", "subject", "", "request_id", "r2")
	log.Info("something else", "code", "NOT_A_REJECTION")
	snap := l.Rejections()
	if len(snap.Counts) != 2 || snap.Counts[0] != (rejectionCount{Guard: "csrf", Code: "CSRF_REJECTED", LastMinute: 1, Window: 1}) ||
		snap.Counts[1] != (rejectionCount{Guard: "operation limits", Code: "DEPTH_LIMIT_EXCEEDED", LastMinute: 0, Window: 1}) {
		t.Fatalf("counts %+v", snap.Counts)
	}
	if len(snap.Latest) != 2 || snap.Latest[0].RequestID != "r2" || snap.Latest[0].Subject != "anonymous" || len(snap.Latest[1].Operation) != maxEventField {
		t.Fatalf("latest %+v", snap.Latest)
	}
	now = now.Add(rejectionWindow * time.Minute)
	if c := l.Rejections().Counts; len(c) != 0 {
		t.Fatalf("counts after the window: %+v", c)
	}
	for range rejectionRing + 5 {
		log.Warn(msgGraphQLReject, "code", "COST_LIMIT_EXCEEDED")
	}
	if n := len(l.Rejections().Latest); n != rejectionRing {
		t.Fatalf("%d latest events, want %d", n, rejectionRing)
	}
	if n := strings.Count(out.String(), "\n"); n != 3+rejectionRing+5 {
		t.Fatalf("%d records passed on, want %d", n, 3+rejectionRing+5)
	}
}
