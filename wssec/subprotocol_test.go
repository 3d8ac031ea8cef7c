package wssec_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/wssec"
)

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// handshake sends a raw upgrade request offering protos and returns the
// response (its body read) without completing the WebSocket.
func handshake(t *testing.T, url string, protos ...string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	if len(protos) > 0 {
		req.Header.Set("Sec-WebSocket-Protocol", strings.Join(protos, ", "))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusSwitchingProtocols {
		return res, ""
	}
	body, _ := io.ReadAll(res.Body)
	return res, strings.TrimSpace(string(body))
}

// TestAccept_browserBearerSubprotocol: a page cannot set Authorization on
// a WebSocket, so it offers ["chat", "bearer.<token>"]. The server must
// echo "chat" (a browser fails a 101 without one of its offered values) and
// never the token. Offering the token alone, or next to an application
// subprotocol the server does not serve, is refused with 400 before the
// upgrade and before the token is verified; the token is never logged.
func TestAccept_browserBearerSubprotocol(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	var authCalls atomic.Int64
	v := verifier(t, nil)
	counting := auth.AuthenticatorFunc(func(ctx context.Context, c auth.Credential) (*auth.Principal, error) {
		authCalls.Add(1)
		return v.Authenticate(ctx, c)
	})
	srv, _ := server(t, wssec.Options{
		Authenticator: counting,
		Subprotocols:  []string{"chat", "chat.v2"},
		Logger:        slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, echo)
	tok := token(t, "alice", t0)
	bearer := "bearer." + tok

	accepted := []struct {
		name   string
		protos []string
		want   string
	}{
		{"app_then_bearer_echoes_app", []string{"chat", bearer}, "chat"},
		{"bearer_then_app_echoes_app", []string{bearer, "chat"}, "chat"},
		{"server_preference_wins", []string{"chat.v2", bearer, "chat"}, "chat"},
		{"second_app_protocol", []string{"chat.v2", bearer}, "chat.v2"},
		{"prefix_any_case", []string{"chat", "Bearer." + tok}, "chat"},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			res, body := handshake(t, srv.URL, tc.protos...)
			if res.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("status %d %q, want 101", res.StatusCode, body)
			}
			if got := res.Header.Values("Sec-WebSocket-Protocol"); len(got) != 1 || got[0] != tc.want {
				t.Fatalf("Sec-WebSocket-Protocol %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("real_client_exchanges_a_message", func(t *testing.T) {
		c := dial(t, srv, &websocket.DialOptions{Subprotocols: []string{"chat", bearer}})
		if c.Subprotocol() != "chat" {
			t.Fatalf("negotiated %q", c.Subprotocol())
		}
		write(t, c, "hi")
		if got := read(t, c); got != "hi" {
			t.Fatalf("echo %q", got)
		}
	})

	before := authCalls.Load()
	refused := []struct {
		name   string
		protos []string
	}{
		{"bearer_alone", []string{bearer}},
		{"bearer_next_to_unserved_protocol", []string{"graphql-ws", bearer}},
	}
	for _, tc := range refused {
		t.Run(tc.name+"_refused_400", func(t *testing.T) {
			res, body := handshake(t, srv.URL, tc.protos...)
			if res.StatusCode != http.StatusBadRequest || body != wssec.CodeAppSubprotocolRequired {
				t.Fatalf("status %d %q, want 400 %s", res.StatusCode, body, wssec.CodeAppSubprotocolRequired)
			}
			if got := res.Header.Get("Sec-WebSocket-Protocol"); got != "" {
				t.Fatalf("refusal echoes %q", got)
			}
		})
	}
	if n := authCalls.Load() - before; n != 0 {
		t.Fatalf("authenticator ran %d times for refused subprotocols", n)
	}
	if !strings.Contains(logs.String(), "bearer subprotocol without an application subprotocol") {
		t.Fatalf("refusal not logged:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), tok) {
		t.Fatalf("token logged:\n%s", logs.String())
	}
}

// TestAccept_bearerSubprotocolNeedsConfiguredSubprotocols: an endpoint
// that negotiates no application subprotocol cannot serve the browser
// pattern; it says so (400) instead of answering a 101 a browser would
// abort. Clients that send Authorization are not affected.
func TestAccept_bearerSubprotocolNeedsConfiguredSubprotocols(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, nil)}, echo)
	tok := token(t, "alice", t0)
	if res, body := handshake(t, srv.URL, "chat", "bearer."+tok); res.StatusCode != http.StatusBadRequest || body != wssec.CodeAppSubprotocolRequired {
		t.Fatalf("status %d %q, want 400 %s", res.StatusCode, body, wssec.CodeAppSubprotocolRequired)
	}
	if got := dialStatus(t, wsURL(srv), bearerHeader(tok)); got != http.StatusSwitchingProtocols {
		t.Fatalf("Authorization header: status %d, want 101", got)
	}
}

func bearerHeader(tok string) *websocket.DialOptions {
	return &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + tok}}}
}
