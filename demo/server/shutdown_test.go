package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// SIGTERM drains: a login in flight when shutdown starts completes with 200
// and its tokens (its context is not cancelled), every WebSocket —
// graphql-transport-ws and plain /chat — gets 1001 "going away", and the
// server then exits cleanly. The login is held in flight by a hook until
// both sockets have seen their close frame, so the test does not depend on
// timing.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	env := map[string]string{"JWT_SECRET": strings.Repeat("s", 40)}
	cfg, err := parseConfig([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "demo.db")},
		func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ShutdownTimeout != 10*time.Second {
		t.Fatalf("default drain timeout %v, want 10s", cfg.ShutdownTimeout)
	}
	cfg.ShutdownTimeout = time.Minute // generous: the test releases the request itself
	entered, release := make(chan struct{}), make(chan struct{})
	cfg.holdQuery = func(r *http.Request) {
		if r.Header.Get("X-Test-Hold") != "" {
			entered <- struct{}{}
			<-release
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ready, served := make(chan string, 1), make(chan error, 1)
	go func() { served <- serve(ctx, cfg, io.Discard, ready) }()
	var s *demoServer
	select {
	case addr := <-ready:
		s = &demoServer{t: t, base: "http://" + addr}
	case err := <-served:
		t.Fatalf("server did not start: %v", err)
	}
	const pw = "a long enough passphrase"
	tok, _, _ := s.register("drain@example.com", "Drain", pw)

	wsCtx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	gql, err := s.dialGQL(wsCtx, tok)
	if err != nil {
		t.Fatalf("graphql-transport-ws: %v", err)
	}
	defer gql.CloseNow()
	chat, _, err := websocket.Dial(wsCtx, s.wsURL("/chat"), &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + tok}}})
	if err != nil {
		t.Fatalf("/chat: %v", err)
	}
	defer chat.CloseNow()

	// A login in flight when the signal comes.
	type answer struct {
		status int
		body   map[string]any
		err    error
	}
	login := make(chan answer, 1)
	go func() {
		body, _ := json.Marshal(map[string]any{"query": `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
			"variables": map[string]any{"e": "drain@example.com", "p": pw}})
		req, _ := http.NewRequest(http.MethodPost, s.base+"/query", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Test-Hold", "1")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			login <- answer{err: err}
			return
		}
		defer res.Body.Close()
		var out map[string]any
		err = json.NewDecoder(res.Body).Decode(&out)
		login <- answer{status: res.StatusCode, body: out, err: err}
	}()
	<-entered
	stop() // SIGTERM

	for name, c := range map[string]*websocket.Conn{"graphql-transport-ws": gql, "/chat": chat} {
		var err error
		for err == nil {
			_, _, err = c.Read(wsCtx)
		}
		if got := websocket.CloseStatus(err); got != websocket.StatusGoingAway {
			t.Errorf("%s: closed with %d (%v), want 1001", name, got, err)
		}
	}
	// New connections are refused while the request drains.
	if _, err := http.Get(s.base + "/healthz"); err == nil {
		t.Error("a new request was accepted during the drain")
	}
	close(release)
	a := <-login
	if a.err != nil || a.status != http.StatusOK {
		t.Fatalf("in-flight login: status %d err %v", a.status, a.err)
	}
	if tok, _ := dig(a.body, "data", "login", "accessToken").(string); tok == "" {
		t.Fatalf("in-flight login got no token: %v", a.body)
	}
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
}
