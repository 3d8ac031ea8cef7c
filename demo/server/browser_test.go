package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/internal/browsertest"
)

// chatPage is what a web application does to join /chat: a page cannot set
// Authorization on a WebSocket, so it offers its token as a subprotocol
// next to the application one. chat() resolves (never rejects) with what
// the page saw: whether the socket opened, the subprotocol the server
// chose, the messages received and the close code.
const chatPage = `<!doctype html>
<meta charset="utf-8">
<title>rampart chat</title>
<script>
function chat(url, protocols, text) {
  return new Promise((resolve) => {
    const out = { opened: false, protocol: "", messages: [], error: false, closeCode: 0 };
    let ws;
    try {
      ws = new WebSocket(url, protocols);
    } catch (e) {
      out.exception = String(e);
      resolve(out);
      return;
    }
    ws.onopen = () => {
      out.opened = true;
      out.protocol = ws.protocol;
      ws.send(JSON.stringify({ text }));
    };
    ws.onmessage = (ev) => {
      out.messages.push(ev.data);
      ws.close(1000);
    };
    ws.onerror = () => { out.error = true; };
    ws.onclose = (ev) => {
      out.closeCode = ev.code;
      resolve(out);
    };
  });
}
</script>`

// chatOutcome is chat()'s result.
type chatOutcome struct {
	Opened    bool     `json:"opened"`
	Protocol  string   `json:"protocol"`
	Messages  []string `json:"messages"`
	Error     bool     `json:"error"`
	CloseCode int      `json:"closeCode"`
	Exception string   `json:"exception"`
}

// pageServer serves chatPage on a loopback port of its own: another origin
// than the demo's.
func pageServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(chatPage))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestBrowserChatWithBearerSubprotocol runs /chat from a real headless
// Chromium. A page of the allowed origin authenticates with
// new WebSocket(url, ["chat", "bearer." + token]): Chromium accepts the
// server's answer (it aborts a 101 that echoes none of its offered
// subprotocols), the server selected "chat", and the page gets its own
// message back, sanitised. The same page from a foreign origin (another
// loopback port) is refused before the upgrade, and so is the token
// offered without an application subprotocol. The token is never logged.
func TestBrowserChatWithBearerSubprotocol(t *testing.T) {
	t.Parallel()
	allowed, foreign := pageServer(t), pageServer(t)
	logw := &syncBuffer{}
	s := startDemoLog(t, map[string]string{"ALLOWED_ORIGINS": allowed.URL}, filepath.Join(t.TempDir(), "demo.db"), logw)
	token, _, aliceID := s.register("alice@example.com", "Alice", "alice's long passphrase")
	ctx := browsertest.Start(t)

	run := func(t *testing.T, page string, protocols []string) chatOutcome {
		t.Helper()
		if err := browsertest.Navigate(ctx, page); err != nil {
			t.Fatal(err)
		}
		args, _ := json.Marshal([]any{s.wsURL("/chat"), protocols, "hi <script>alert(1)</script>from the browser"})
		out, err := browsertest.Eval[chatOutcome](ctx, fmt.Sprintf("chat(...%s)", args))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	t.Run("allowed_origin_chats_with_bearer_subprotocol", func(t *testing.T) {
		out := run(t, allowed.URL, []string{"chat", "bearer." + token})
		if !out.Opened || out.Protocol != "chat" || len(out.Messages) != 1 || out.CloseCode != 1000 {
			t.Fatalf("page saw %+v; want it opened with protocol chat, one message, close 1000", out)
		}
		var m chatMessage
		if err := json.Unmarshal([]byte(out.Messages[0]), &m); err != nil {
			t.Fatalf("message %q: %v", out.Messages[0], err)
		}
		if m.From != aliceID || m.Text != "hi from the browser" {
			t.Fatalf("message %+v, want from %s text %q", m, aliceID, "hi from the browser")
		}
	})
	t.Run("foreign_origin_refused_before_upgrade", func(t *testing.T) {
		out := run(t, foreign.URL, []string{"chat", "bearer." + token})
		if out.Opened || len(out.Messages) != 0 || out.CloseCode != 1006 {
			t.Fatalf("page saw %+v; want a failed handshake (1006)", out)
		}
		// The refusal is the origin check's, before the upgrade.
		if log := logw.String(); !strings.Contains(log, "wssec: origin refused") || !strings.Contains(log, foreign.URL) {
			t.Fatalf("no origin refusal for %s in the log:\n%s", foreign.URL, log)
		}
	})
	t.Run("bearer_subprotocol_alone_refused_before_upgrade", func(t *testing.T) {
		out := run(t, allowed.URL, []string{"bearer." + token})
		if out.Opened || len(out.Messages) != 0 || out.CloseCode != 1006 {
			t.Fatalf("page saw %+v; want a failed handshake (1006)", out)
		}
		if log := logw.String(); !strings.Contains(log, "bearer subprotocol without an application subprotocol") {
			t.Fatalf("no subprotocol refusal in the log:\n%s", log)
		}
	})
	if log := logw.String(); strings.Contains(log, token) {
		t.Fatalf("the token reached the log:\n%s", log)
	}
}
