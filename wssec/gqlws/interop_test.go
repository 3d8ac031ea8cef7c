package gqlws_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInterop_graphqlWSReferenceClient runs the npm graphql-ws client
// (testdata/interop/subscribe.mjs) against a real server: it authenticates
// in connection_init, subscribes with variables, receives one event and
// exits 0. It fails, never skips, when node or node_modules is missing.
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

	run := func(t *testing.T, tok string) (string, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, "subscribe.mjs", wsURL(s), tok,
			`subscription($room: String) { events(room: $room) }`, `{"room":"<script>x</script>interop"}`)
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

	t.Run("authenticated_client_receives_event", func(t *testing.T) {
		out, errOut, err := run(t, token(t, "alice", t0))
		if err != nil {
			t.Fatalf("node client failed: %v\nstdout: %s\nstderr: %s", err, out, errOut)
		}
		if got := strings.TrimSpace(out); got != `{"data":{"events":"hello|interop"}}` {
			t.Fatalf("event %s", got)
		}
	})
	t.Run("bad_token_fails_with_4403", func(t *testing.T) {
		out, errOut, err := run(t, "not-a-token")
		if err == nil || !strings.Contains(errOut, "4403") {
			t.Fatalf("want failure with 4403; err %v\nstdout: %s\nstderr: %s", err, out, errOut)
		}
	})
}
