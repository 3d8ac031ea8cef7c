package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
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
	// Bob may join the room after Alice first writes: Alice resends until
	// Bob's one blocking read (a read that times out would close his
	// connection) returns.
	got := make(chan []byte, 1)
	go func() {
		_, data, err := b.Read(ctx)
		if err != nil {
			data = nil
		}
		got <- data
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := a.Write(ctx, websocket.MessageText, []byte(`{"text":"hi <img src=x onerror=alert(1)><script>alert(2)</script>\u001b[31m\u202ebob\u0000"}`)); err != nil {
			t.Fatal(err)
		}
		select {
		case data := <-got:
			if data == nil {
				t.Fatal("Bob never received Alice's message")
			}
			var m chatMessage
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatalf("chat message %q: %v", data, err)
			}
			if m.From != aliceID || m.Text != "hi bob" {
				t.Fatalf("Bob received %+v, want from %s text %q", m, aliceID, "hi bob")
			}
			return
		case <-tick.C:
		}
	}
}

// TestInteropGraphqlWSClient subscribes to the demo's commentAdded with the
// reference graphql-transport-ws client (npm graphql-ws), in production
// mode over TLS (wss://, the embedded trusted documents), once per
// credential shape a GraphQL client puts in connectionParams; each gets
// the event a mutation triggers. Two different credentials close with
// 4403. It fails, never skips, when Node or the client is missing: `make
// test` installs it.
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
	certFile, keyFile, pool := selfSigned(t)
	s := startDemo(t, map[string]string{"APP_ENV": "production", "JWT_SECRET": strings.Repeat("k", 40),
		"TLS_CERT_FILE": certFile, "TLS_KEY_FILE": keyFile})
	ts := &tlsClient{t: t, base: strings.Replace(s.base, "http://", "https://", 1),
		client: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	wss := strings.Replace(s.base, "http://", "wss://", 1) + "/query"
	alice := ts.register("alice@example.com", "Alice", "alice's long passphrase")
	bob := ts.register("bob@example.com", "Bob", "bob's long passphrase!")
	post, _ := dig(ts.do(alice, trustedCreatePost, map[string]any{"input": map[string]any{"title": "t", "body": "b"}}), "createPost", "id").(string)
	if post == "" {
		t.Fatal("createPost failed")
	}
	vars, _ := json.Marshal(map[string]any{"postId": post})

	// subscribe runs the client with params as connectionParams until it
	// exits, adding a comment every tick so that a subscribed client gets
	// an event.
	subscribe := func(t *testing.T, params map[string]any) (stdout, stderr string, err error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		p, _ := json.Marshal(params)
		cmd := exec.CommandContext(ctx, node, "subscribe.mjs", wss, "", trustedCommentAdded, string(vars), string(p))
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+certFile)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
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
				return out.String(), errOut.String(), err
			case <-tick.C:
				// Best effort: a refused comment (rate limit) just means
				// another tick.
				_, _ = ts.post(alice, trustedAddComment, map[string]any{"postId": post, "body": "from node"})
			}
		}
	}
	for _, tc := range []struct {
		name   string
		params map[string]any
	}{
		{"Authorization", map[string]any{"Authorization": "Bearer " + alice}},
		{"authorization", map[string]any{"authorization": "Bearer " + alice}},
		{"token", map[string]any{"token": alice}},
		{"authToken", map[string]any{"authToken": alice}},
		{"accessToken", map[string]any{"accessToken": alice}},
		{"headers_Authorization", map[string]any{"headers": map[string]any{"Authorization": "Bearer " + alice}}},
		{"headers_authorization", map[string]any{"headers": map[string]any{"authorization": "Bearer " + alice}}},
		{"Authorization_and_token_same_credential", map[string]any{"Authorization": "Bearer " + alice, "token": alice}},
	} {
		t.Run(tc.name+"_receives_event", func(t *testing.T) {
			out, errOut, err := subscribe(t, tc.params)
			if err != nil {
				t.Fatalf("graphql-ws client: %v\nstdout: %s\nstderr: %s", err, out, errOut)
			}
			if !strings.Contains(out, "from node") {
				t.Fatalf("event = %s, want the comment body", out)
			}
		})
	}
	t.Run("conflicting_credentials_close_4403", func(t *testing.T) {
		out, errOut, err := subscribe(t, map[string]any{"Authorization": "Bearer " + alice, "token": bob})
		if err == nil || !strings.Contains(errOut, "4403") {
			t.Fatalf("want failure with 4403; err %v\nstdout: %s\nstderr: %s", err, out, errOut)
		}
	})
}

// Documents of the embedded trusted-documents manifest, which production
// enforces for non-admins.
const (
	trustedRegister     = `mutation Register($input: RegisterInput!) { register(input: $input) { accessToken refreshToken expiresIn user { id name role } } }`
	trustedCreatePost   = `mutation CreatePost($input: PostInput!) { createPost(input: $input) { id title body } }`
	trustedAddComment   = `mutation AddComment($postId: ID!, $body: String!) { addComment(postId: $postId, body: $body) { id body } }`
	trustedCommentAdded = `subscription CommentAdded($postId: ID!) { commentAdded(postId: $postId) { id body author { id name } createdAt } }`
)

// tlsClient posts GraphQL requests to a demo served over TLS.
type tlsClient struct {
	t      *testing.T
	base   string
	client *http.Client
}

// post sends one request and returns its response.
func (c *tlsClient) post(token, query string, vars map[string]any) (*gqlResponse, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.base+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	out := &gqlResponse{Status: res.StatusCode}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return nil, fmt.Errorf("response (%d) is not JSON: %w", res.StatusCode, err)
	}
	return out, nil
}

// do sends one request and returns its data; an error fails the test (call
// it from the test's goroutine only).
func (c *tlsClient) do(token, query string, vars map[string]any) map[string]any {
	c.t.Helper()
	out, err := c.post(token, query, vars)
	if err != nil || len(out.Errors) > 0 {
		c.t.Fatalf("POST /query: %v %+v", err, out)
	}
	return out.Data
}

// register creates an account and returns its access token.
func (c *tlsClient) register(email, name, password string) string {
	c.t.Helper()
	tok, _ := dig(c.do("", trustedRegister, map[string]any{"input": map[string]any{"email": email, "name": name, "password": password}}), "register", "accessToken").(string)
	if tok == "" {
		c.t.Fatalf("register %s: no access token", email)
	}
	return tok
}
