package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart/mfa"
)

// demoServer is a running demo on a real loopback listener.
type demoServer struct {
	t    testing.TB
	base string
	// forwardedProto, when set, is sent as X-Forwarded-Proto, as the
	// TLS-terminating proxy in front of a production server would.
	forwardedProto string
	// db is the server's SQLite file.
	db string
	// stop stops the server and waits for it (also done when the test
	// ends); safe to call more than once.
	stop func()
}

// startDemo runs the demo server with a temporary database and env, and
// stops it when the test ends.
func startDemo(t testing.TB, env map[string]string) *demoServer {
	t.Helper()
	return startDemoDB(t, env, filepath.Join(t.TempDir(), "demo.db"))
}

// startDemoDB is startDemo on a given database file, so that two servers
// can share one database like replicas behind a load balancer.
func startDemoDB(t testing.TB, env map[string]string, db string) *demoServer {
	t.Helper()
	return startDemoLog(t, env, db, io.Discard)
}

// startDemoLog is startDemoDB writing the server's log to logw.
func startDemoLog(t testing.TB, env map[string]string, db string, logw io.Writer) *demoServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	if env == nil {
		env = map[string]string{}
	}
	args := []string{"-addr", "127.0.0.1:0", "-db", db}
	go func() { errc <- run(ctx, args, func(k string) string { return env[k] }, logw, ready) }()
	select {
	case addr := <-ready:
		var once sync.Once
		stop := func() {
			once.Do(func() {
				cancel()
				if err := <-errc; err != nil {
					t.Errorf("server stopped with error: %v", err)
				}
			})
		}
		t.Cleanup(stop)
		return &demoServer{t: t, base: "http://" + addr, db: db, stop: stop}
	case err := <-errc:
		cancel()
		t.Fatalf("server did not start: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("server did not start within 30s")
	}
	return nil
}

// gqlResponse is a GraphQL response as the client sees it.
type gqlResponse struct {
	Status int
	Data   map[string]any
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	}
	Header http.Header
}

func (r *gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// do posts a GraphQL request with an optional bearer token.
func (s *demoServer) do(token, query string, vars map[string]any) *gqlResponse {
	s.t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return s.doWith(h, query, vars)
}

// doWith posts a GraphQL request with extra headers.
func (s *demoServer) doWith(h http.Header, query string, vars map[string]any) *gqlResponse {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.base+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json;q=0.9") // as Apollo Client sends it
	for k, v := range h {
		req.Header[k] = v
	}
	if s.forwardedProto != "" {
		req.Header.Set("X-Forwarded-Proto", s.forwardedProto)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("POST /query: %v", err)
	}
	defer res.Body.Close()
	out := &gqlResponse{Status: res.StatusCode, Header: res.Header}
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, out); err != nil {
		s.t.Fatalf("response is not JSON (%d): %s", res.StatusCode, raw)
	}
	return out
}

func dig(m map[string]any, path ...string) any {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

const registerMutation = `mutation($in: RegisterInput!) { register(input: $in) { accessToken refreshToken expiresIn user { id role } } }`

// register creates an account and returns its access token, refresh token
// and id.
func (s *demoServer) register(email, name, password string) (access, refresh, id string) {
	s.t.Helper()
	r := s.do("", registerMutation, map[string]any{"in": map[string]any{"email": email, "name": name, "password": password}})
	if len(r.Errors) > 0 {
		s.t.Fatalf("register %s: %+v", email, r.Errors)
	}
	p := dig(r.Data, "register").(map[string]any)
	return p["accessToken"].(string), p["refreshToken"].(string), dig(p, "user", "id").(string)
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	res, err := http.Get(s.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || string(body) != "ok" {
		t.Fatalf("GET /healthz = %d %q, want 200 ok", res.StatusCode, body)
	}
}

// TestAccountLifecycle walks register → login → me → refresh → reuse of the
// old refresh token (family revoked, the new one refused too) → logout.
func TestAccountLifecycle(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	const email, password = "ada@example.com", "correct horse battery staple"

	_, _, id := s.register(email, "Ada", password)

	login := s.do("", `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken expiresIn user { id role } } }`,
		map[string]any{"e": email, "p": password})
	if len(login.Errors) > 0 {
		t.Fatalf("login: %+v", login.Errors)
	}
	access := dig(login.Data, "login", "accessToken").(string)
	refresh1 := dig(login.Data, "login", "refreshToken").(string)
	if got := dig(login.Data, "login", "expiresIn"); got != float64(900) {
		t.Errorf("expiresIn = %v, want 900", got)
	}
	if got := dig(login.Data, "login", "user", "role"); got != "USER" {
		t.Errorf("role = %v, want USER", got)
	}

	me := s.do(access, `{ me { id email name } }`, nil)
	if got := dig(me.Data, "me", "id"); got != id {
		t.Fatalf("me.id = %v, want %v (errors %+v)", got, id, me.Errors)
	}
	if got := dig(me.Data, "me", "email"); got != email {
		t.Errorf("me.email = %v, want %v", got, email)
	}
	if anon := s.do("", `{ me { id } }`, nil); dig(anon.Data, "me") != nil {
		t.Errorf("anonymous me = %v, want null", dig(anon.Data, "me"))
	}

	const refreshQ = `mutation($t: String!) { refreshToken(token: $t) { accessToken refreshToken } }`
	r2 := s.do("", refreshQ, map[string]any{"t": refresh1})
	if len(r2.Errors) > 0 {
		t.Fatalf("refresh: %+v", r2.Errors)
	}
	refresh2 := dig(r2.Data, "refreshToken", "refreshToken").(string)
	access2 := dig(r2.Data, "refreshToken", "accessToken").(string)
	if refresh2 == refresh1 {
		t.Fatal("refresh token was not rotated")
	}

	// The thief replays the first token: refused, and the family is revoked.
	reuse := s.do("", refreshQ, map[string]any{"t": refresh1})
	if reuse.code() != "INVALID_CREDENTIALS" {
		t.Fatalf("reused refresh token: code %q, want INVALID_CREDENTIALS (%+v)", reuse.code(), reuse.Errors)
	}
	if r := s.do("", refreshQ, map[string]any{"t": refresh2}); r.code() != "INVALID_CREDENTIALS" {
		t.Fatalf("newest token after family revocation: code %q, want INVALID_CREDENTIALS", r.code())
	}

	// A fresh login gets a new family; logout revokes it and the access token.
	login2 := s.do("", `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }`,
		map[string]any{"e": email, "p": password})
	access3 := dig(login2.Data, "login", "accessToken").(string)
	refresh3 := dig(login2.Data, "login", "refreshToken").(string)
	out := s.do(access3, `mutation($t: String!) { logout(refreshToken: $t) }`, map[string]any{"t": refresh3})
	if dig(out.Data, "logout") != true {
		t.Fatalf("logout = %+v", out)
	}
	if r := s.do("", refreshQ, map[string]any{"t": refresh3}); r.code() != "INVALID_CREDENTIALS" {
		t.Fatalf("refresh after logout: code %q, want INVALID_CREDENTIALS", r.code())
	}
	if r := s.do(access3, `{ me { id } }`, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("access token after logout: status %d, want 401", r.Status)
	}
	_ = access2
}

func TestLoginDoesNotRevealAccounts(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	s.register("grace@example.com", "Grace", "a long enough passphrase")
	const q = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`
	wrong := s.do("", q, map[string]any{"e": "grace@example.com", "p": "not the right passphrase"})
	unknown := s.do("", q, map[string]any{"e": "nobody@example.com", "p": "not the right passphrase"})
	if wrong.code() != "INVALID_CREDENTIALS" || unknown.code() != "INVALID_CREDENTIALS" {
		t.Fatalf("codes = %q, %q; want INVALID_CREDENTIALS for both", wrong.code(), unknown.code())
	}
	if wrong.Errors[0].Message != unknown.Errors[0].Message {
		t.Fatalf("messages differ: %q vs %q", wrong.Errors[0].Message, unknown.Errors[0].Message)
	}
}

func TestRegisterRules(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	cases := []struct {
		name, email, password, wantCode, wantMsg string
		extra                                    map[string]any
	}{
		{name: "weak_password_11_runes", email: "a@example.com", password: "abcdefghijk", wantCode: "BAD_USER_INPUT", wantMsg: "password"},
		{name: "password_equals_email", email: "longaddress@example.com", password: "LongAddress@example.com", wantCode: "BAD_USER_INPUT", wantMsg: "password"},
		{name: "bad_email", email: "not-an-email", password: "a long enough passphrase", wantCode: "BAD_USER_INPUT", wantMsg: "email"},
		{name: "role_cannot_be_chosen", email: "b@example.com", password: "a long enough passphrase", extra: map[string]any{"role": "ADMIN"}, wantCode: "GRAPHQL_VALIDATION_FAILED"},
	}
	for _, tc := range cases {
		in := map[string]any{"email": tc.email, "name": "X", "password": tc.password}
		for k, v := range tc.extra {
			in[k] = v
		}
		r := s.do("", registerMutation, map[string]any{"in": in})
		if r.code() != tc.wantCode || !strings.Contains(strings.ToLower(r.Errors[0].Message), tc.wantMsg) {
			t.Errorf("%s: got code %q errors %+v; want %q mentioning %q", tc.name, r.code(), r.Errors, tc.wantCode, tc.wantMsg)
		}
	}
	// A successful registration is always a USER.
	access, _, _ := s.register("c@example.com", "C", "a long enough passphrase")
	if r := s.do(access, `{ me { role } }`, nil); dig(r.Data, "me", "role") != "USER" {
		t.Fatalf("registered role = %v, want USER", dig(r.Data, "me", "role"))
	}
}

func TestInvalidBearerIs401NotAnonymous(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	r := s.do("not.a.jwt", `{ me { id } }`, nil)
	if r.Status != http.StatusUnauthorized || r.code() != "UNAUTHENTICATED" {
		t.Fatalf("status %d code %q, want 401 UNAUTHENTICATED", r.Status, r.code())
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// withMFA enrols token's user in TOTP and returns an access token that
// carries the second factor (amr otp, auth_time now), and the secret.
func (s *demoServer) withMFA(token string) (fresh, secret string) {
	s.t.Helper()
	r := s.do(token, `mutation { enrollMFA { secret otpauthURL recoveryCodes } }`, nil)
	secret, _ = dig(r.Data, "enrollMFA", "secret").(string)
	if secret == "" {
		s.t.Fatalf("enrollMFA: %+v", r.Errors)
	}
	c := s.do(token, `mutation($c: String!) { confirmMFA(code: $c) { accessToken } }`, map[string]any{"c": totpCode(s.t, secret, time.Now())})
	fresh, _ = dig(c.Data, "confirmMFA", "accessToken").(string)
	if fresh == "" {
		s.t.Fatalf("confirmMFA: %+v", c.Errors)
	}
	return fresh, secret
}

// totpCode is the RFC 6238 code for secret at t.
func totpCode(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	totp, err := mfa.NewTOTP(mfa.Options{Issuer: "test"})
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.Code(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}
