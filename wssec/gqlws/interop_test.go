package gqlws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInterop_graphqlWSReferenceClient runs the npm graphql-ws client
// (testdata/interop/subscribe.mjs) against a real server: it authenticates
// in connection_init with each credential shape, subscribes with variables,
// receives one event and exits 0; conflicting credentials fail with 4403. It fails, never skips, when node or node_modules is missing.
func TestInterop_graphqlWSReferenceClient(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "interop")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "graphql-ws")); err != nil {
		t.Fatalf("node_modules missing in %s: run make test / npm ci in wssec/gqlws/testdata/interop (%v)", dir, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found on PATH: install Node.js >= 18, then npm ci in wssec/gqlws/testdata/interop (%v)", err)
	}
	s, b := newGraphQLServer(t, defaultOptions(t))

	run := func(t *testing.T, tok string, params map[string]any) (string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		args := []string{"subscribe.mjs", wsURL(s), tok,
			`subscription($room: String) { events(room: $room) }`, `{"room":"<script>x</script>interop"}`}
		if params != nil {
			p, err := json.Marshal(params)
			if err != nil {
				t.Fatal(err)
			}
			args = append(args, string(p))
		}
		cmd := exec.CommandContext(ctx, node, args...)
		cmd.Dir = dir
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		// Publish until the client got its event or gave up.
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case err := <-done:
				return stdout.String(), stderr.String(), err
			case <-tick.C:
				if b.Subscribers() > 0 {
					b.Publish("hello")
				}
			}
		}
	}

	receives := func(t *testing.T, tok string, params map[string]any) {
		t.Helper()
		out, errOut, err := run(t, tok, params)
		if err != nil {
			t.Fatalf("node client failed: %v\nstdout: %s\nstderr: %s", err, out, errOut)
		}
		if got := strings.TrimSpace(out); got != `{"data":{"events":"hello|interop"}}` {
			t.Fatalf("event %s", got)
		}
	}
	refused := func(t *testing.T, tok string, params map[string]any) {
		t.Helper()
		out, errOut, err := run(t, tok, params)
		if err == nil || !strings.Contains(errOut, "4403") {
			t.Fatalf("want failure with 4403; err %v\nstdout: %s\nstderr: %s", err, out, errOut)
		}
	}
	alice, bob := token(t, "alice", t0), token(t, "bob", t0)
	t.Run("authenticated_client_receives_event", func(t *testing.T) { receives(t, alice, nil) })
	// Each credential shape a GraphQL client puts in connectionParams.
	for name, params := range map[string]map[string]any{
		"Authorization":         {"Authorization": "Bearer " + alice},
		"authorization":         {"authorization": "Bearer " + alice},
		"token":                 {"token": alice},
		"authToken":             {"authToken": alice},
		"accessToken":           {"accessToken": alice},
		"headers_Authorization": {"headers": map[string]any{"Authorization": "Bearer " + alice}},
		"headers_authorization": {"headers": map[string]any{"authorization": "Bearer " + alice}},
		"Authorization_and_token_same_credential": {"Authorization": "Bearer " + alice, "token": alice},
	} {
		t.Run("shape_"+name+"_receives_event", func(t *testing.T) { receives(t, "", params) })
	}
	t.Run("bad_token_fails_with_4403", func(t *testing.T) { refused(t, "not-a-token", nil) })
	t.Run("conflicting_credentials_fail_with_4403", func(t *testing.T) {
		refused(t, "", map[string]any{"Authorization": "Bearer " + alice, "token": bob})
	})
}
