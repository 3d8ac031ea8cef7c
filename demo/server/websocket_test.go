package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

func (s *demoServer) wsURL(path string) string {
	return "ws" + strings.TrimPrefix(s.base, "http") + path
}

// dialGQL opens a graphql-transport-ws connection and completes
// connection_init with token.
func (s *demoServer) dialGQL(ctx context.Context, token string) (*websocket.Conn, error) {
	c, _, err := websocket.Dial(ctx, s.wsURL("/query"), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	payload := map[string]any{}
	if token != "" {
		payload["Authorization"] = "Bearer " + token
	}
	if err := wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": payload}); err != nil {
		return nil, err
	}
	var ack struct{ Type string }
	if err := wsjson.Read(ctx, c, &ack); err != nil {
		return c, err
	}
	if ack.Type != "connection_ack" {
		return c, errors.New("no connection_ack: " + ack.Type)
	}
	return c, nil
}

func TestSubscriptionCommentAdded(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	alice, _, _ := s.register("alice@example.com", "Alice", "alice's long passphrase")
	post := s.createPost(alice, "t", "b")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	c, err := s.dialGQL(ctx, alice)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.CloseNow()
	sub := map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query":     `subscription($p: ID!) { commentAdded(postId: $p) { body author { name } } }`,
		"variables": map[string]any{"p": post},
	}}
	if err := wsjson.Write(ctx, c, sub); err != nil {
		t.Fatal(err)
	}
	// The subscription is registered asynchronously: add comments until one
	// arrives.
	got := make(chan map[string]any, 1)
	go func() {
		var msg map[string]any
		for {
			if err := wsjson.Read(ctx, c, &msg); err != nil {
				return
			}
			if msg["type"] == "next" {
				got <- msg
				return
			}
		}
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		s.do(alice, `mutation($p: ID!) { addComment(postId: $p, body: "<b>hi</b><script>x</script>") { id } }`, map[string]any{"p": post})
		select {
		case msg := <-got:
			body := dig(msg, "payload", "data", "commentAdded", "body")
			if body != "<b>hi</b>" {
				t.Fatalf("event body = %v, want the sanitized <b>hi</b>", body)
			}
			return
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("no commentAdded event")
		}
	}
}

func TestWebSocketRefusals(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	// Cross-site WebSocket hijacking: a foreign Origin never gets upgraded.
	h := http.Header{"Origin": []string{"https://evil.example"}}
	_, res, err := websocket.Dial(ctx, s.wsURL("/query"), &websocket.DialOptions{HTTPHeader: h, Subprotocols: []string{"graphql-transport-ws"}})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: err %v, response %v; want 403", err, res)
	}

	// No credential in connection_init: the connection is closed with 4403.
	c, err := s.dialGQL(ctx, "")
	if err == nil {
		t.Fatal("anonymous connection_init was acknowledged")
	}
	if c != nil {
		defer c.CloseNow()
	}
	if code := websocket.CloseStatus(err); code != 4403 && code != 4401 {
		t.Fatalf("anonymous init closed with %d (%v), want 4401/4403", code, err)
	}

	// An invalid token in the handshake header: 401 before the upgrade.
	h = http.Header{"Authorization": []string{"Bearer not.a.token"}}
	_, res, err = websocket.Dial(ctx, s.wsURL("/query"), &websocket.DialOptions{HTTPHeader: h, Subprotocols: []string{"graphql-transport-ws"}})
	if err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("invalid handshake token: err %v, response %v; want 401", err, res)
	}
}

func TestChatSanitizesMessages(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	alice, _, aliceID := s.register("alice@example.com", "Alice", "alice's long passphrase")
	bob, _, _ := s.register("bob@example.com", "Bob", "bob's long passphrase!")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	dial := func(tok string) *websocket.Conn {
		c, _, err := websocket.Dial(ctx, s.wsURL("/chat"), &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": []string{"Bearer " + tok}}})
		if err != nil {
			t.Fatalf("dial chat: %v", err)
		}
		return c
	}
	a, b := dial(alice), dial(bob)
	defer a.CloseNow()
	defer b.CloseNow()
	if _, res, err := websocket.Dial(ctx, s.wsURL("/chat"), nil); err == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous chat: %v %v, want 401", err, res)
	}
	// Bob may join after Alice writes; resend until he sees it.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := a.Write(ctx, websocket.MessageText, []byte(`{"text":"hi <img src=x onerror=alert(1)><script>alert(2)</script>bob"}`)); err != nil {
			t.Fatal(err)
		}
		rctx, rcancel := context.WithTimeout(ctx, 300*time.Millisecond)
		_, data, err := b.Read(rctx)
		rcancel()
		if err != nil {
			continue
		}
		var m chatMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("chat message %q: %v", data, err)
		}
		if m.From != aliceID || m.Text != "hi bob" {
			t.Fatalf("Bob received %+v, want from %s text %q", m, aliceID, "hi bob")
		}
		return
	}
	t.Fatal("Bob never received Alice's message")
}

// TestInteropGraphqlWSClient subscribes to the demo's commentAdded with the
// reference graphql-transport-ws client (npm graphql-ws) and expects the
// event a mutation triggers. It fails, never skips, when Node or the
// client is missing: `make test` installs it.
func TestInteropGraphqlWSClient(t *testing.T) {
	t.Parallel()
	dir, _ := filepath.Abs("../../wssec/gqlws/testdata/interop")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "graphql-ws")); err != nil {
		t.Fatalf("graphql-ws npm client missing: run `make test` (npm ci --prefix wssec/gqlws/testdata/interop): %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found: install Node.js to run the interoperability test: %v", err)
	}
	s := startDemo(t, nil)
	alice, _, _ := s.register("alice@example.com", "Alice", "alice's long passphrase")
	post := s.createPost(alice, "t", "b")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	vars, _ := json.Marshal(map[string]any{"p": post})
	cmd := exec.CommandContext(ctx, node, "subscribe.mjs", s.wsURL("/query"), alice,
		`subscription($p: ID!) { commentAdded(postId: $p) { body } }`, string(vars))
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("graphql-ws client: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), "from node") {
				t.Fatalf("event = %s, want the comment body", stdout.String())
			}
			return
		case <-tick.C:
			s.do(alice, `mutation($p: ID!) { addComment(postId: $p, body: "from node") { id } }`, map[string]any{"p": post})
		}
	}
}
