package wssec_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/wssec"
)

func TestNew_misconfigurationFailsAtStartup(t *testing.T) {
	t.Parallel()
	v := verifier(t, nil)
	cases := []struct {
		name string
		o    wssec.Options
	}{
		{"no_authenticator", wssec.Options{}},
		{"star_origin_pattern", wssec.Options{Authenticator: v, OriginPatterns: []string{"*"}}},
		{"malformed_origin_pattern", wssec.Options{Authenticator: v, OriginPatterns: []string{"[a-"}}},
		{"negative_init_timeout", wssec.Options{Authenticator: v, InitTimeout: -time.Second}},
		{"negative_message_bytes", wssec.Options{Authenticator: v, MaxMessageBytes: -2}},
		{"rate_without_limit", wssec.Options{Authenticator: v, MessageRate: ratelimit.Rate{Burst: 3}}},
		{"negative_caller_cap", wssec.Options{Authenticator: v, MaxConnsPerCaller: -5}},
		{"bearer_subprotocol_echo", wssec.Options{Authenticator: v, Subprotocols: []string{"bearer.x"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := wssec.New(tc.o); !errors.Is(err, rampart.ErrConfig) {
				t.Fatalf("New: %v, want rampart.ErrConfig", err)
			}
		})
	}
	if _, err := wssec.New(wssec.Options{AllowAnonymous: true}); err != nil {
		t.Fatalf("anonymous endpoint without authenticator: %v", err)
	}
}

func TestOriginAllowed(t *testing.T) {
	t.Parallel()
	patterns := []string{"*.example.com", "https://app.partner.test"}
	cases := []struct {
		name    string
		origins []string
		want    bool
	}{
		{"no_origin_non_browser_client_passes", nil, true},
		{"same_host_passes", []string{"http://ws.local:8080"}, true},
		{"same_host_other_case_passes", []string{"http://WS.LOCAL:8080"}, true},
		{"same_host_other_port_refused", []string{"http://ws.local:9090"}, false},
		{"cross_site_hijack_refused", []string{"https://evil.test"}, false},
		{"subdomain_pattern_passes", []string{"https://chat.example.com"}, true},
		{"pattern_suffix_trick_refused", []string{"https://chat.example.com.evil.test"}, false},
		{"scheme_pattern_passes", []string{"https://app.partner.test"}, true},
		{"scheme_pattern_wrong_scheme_refused", []string{"http://app.partner.test"}, false},
		{"null_origin_refused", []string{"null"}, false},
		{"two_origins_refused", []string{"http://ws.local:8080", "https://evil.test"}, false},
		{"userinfo_refused", []string{"http://ws.local:8080@evil.test"}, false},
		{"path_refused", []string{"http://ws.local:8080/x"}, false},
		{"non_http_scheme_refused", []string{"file://ws.local:8080"}, false},
		{"garbage_refused", []string{"%%%"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := wssec.OriginAllowed(tc.origins, "ws.local:8080", patterns); got != tc.want {
				t.Fatalf("OriginAllowed(%q) = %v, want %v", tc.origins, got, tc.want)
			}
		})
	}
}

func TestAccept_handshakeRefusals(t *testing.T) {
	t.Parallel()
	var authCalls atomic.Int64
	v := verifier(t, nil)
	counting := auth.AuthenticatorFunc(func(ctx context.Context, c auth.Credential) (*auth.Principal, error) {
		authCalls.Add(1)
		return v.Authenticate(ctx, c)
	})
	srv, _ := server(t, wssec.Options{
		Authenticator:  counting,
		OriginPatterns: []string{"trusted.example"},
		Subprotocols:   []string{"chat"},
	}, echo)
	good := token(t, "alice", t0)
	expired := token(t, "alice", t0.Add(-time.Hour))
	hdr := func(kv ...string) *websocket.DialOptions {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return &websocket.DialOptions{HTTPHeader: h}
	}
	cases := []struct {
		name string
		url  string
		opts *websocket.DialOptions
		want int
	}{
		{"valid_bearer_passes", "", hdr("Authorization", "Bearer "+good), 101},
		{"valid_bearer_same_origin_passes", "", hdr("Authorization", "Bearer "+good, "Origin", srvOrigin(srv)), 101},
		{"valid_bearer_allowed_origin_passes", "", hdr("Authorization", "Bearer "+good, "Origin", "https://trusted.example"), 101},
		{"bearer_in_subprotocol_passes", "", &websocket.DialOptions{Subprotocols: []string{"chat", "bearer." + good}}, 101},
		{"foreign_origin_refused_before_upgrade", "", hdr("Authorization", "Bearer "+good, "Origin", "https://evil.test"), 403},
		{"missing_token_refused", "", nil, 401},
		{"invalid_token_refused", "", hdr("Authorization", "Bearer not.a.jwt"), 401},
		{"tampered_signature_refused", "", hdr("Authorization", "Bearer "+good[:len(good)-4]+"AAAA"), 401},
		{"expired_token_refused", "", hdr("Authorization", "Bearer "+expired), 401},
		{"alg_none_token_refused", "", hdr("Authorization", "Bearer "+algNoneToken(t, "alice")), 401},
		{"token_in_query_string_ignored", "?token=" + good + "&access_token=" + good, nil, 401},
		{"basic_auth_refused", "", hdr("Authorization", "Basic YWxpY2U6cHc="), 401},
		{"two_credentials_refused", "", &websocket.DialOptions{
			HTTPHeader: http.Header{"Authorization": {"Bearer " + good}}, Subprotocols: []string{"chat", "bearer." + good}}, 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := dialStatus(t, wsURL(srv)+tc.url, tc.opts); got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
		})
	}

	// The origin check runs before authentication: a hijacking page cannot
	// even make the server verify a token.
	before := authCalls.Load()
	if got := dialStatus(t, wsURL(srv), hdr("Authorization", "Bearer "+good, "Origin", "https://evil.test")); got != 403 {
		t.Fatalf("status %d, want 403", got)
	}
	if after := authCalls.Load(); after != before {
		t.Fatalf("authenticator ran %d times for a refused origin", after-before)
	}
}

func srvOrigin(srv *httptest.Server) string { return srv.URL }

func TestAccept_subprotocolTokenIsNotEchoed(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, nil), Subprotocols: []string{"chat"}}, echo)
	c := dial(t, srv, &websocket.DialOptions{Subprotocols: []string{"chat", "bearer." + token(t, "alice", t0)}})
	if got := c.Subprotocol(); got != "chat" {
		t.Fatalf("negotiated %q, want chat", got)
	}
}

func TestAccept_insecureAnyOrigin(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, nil), InsecureAnyOrigin: true}, echo)
	opts := bearer(token(t, "alice", t0))
	opts.HTTPHeader.Set("Origin", "https://anything.test")
	if got := dialStatus(t, wsURL(srv), opts); got != 101 {
		t.Fatalf("status %d, want 101", got)
	}
}

func TestAccept_anonymousOnlyWhenAllowed(t *testing.T) {
	t.Parallel()
	var sawAnon atomic.Bool
	srv, _ := server(t, wssec.Options{AllowAnonymous: true, Authenticator: verifier(t, nil)}, func(ctx context.Context, c *wssec.Conn) {
		_, ok := auth.PrincipalFrom(ctx)
		sawAnon.Store(!ok && c.Principal() == nil)
		echo(ctx, c)
	})
	c := dial(t, srv, nil)
	write(t, c, "hi")
	if got := read(t, c); got != "hi" || !sawAnon.Load() {
		t.Fatalf("anonymous echo %q, anonymous principal %v", got, sawAnon.Load())
	}
	// A presented but bad credential is still refused.
	if got := dialStatus(t, wsURL(srv), bearer("garbage")); got != 401 {
		t.Fatalf("bad token on anonymous endpoint: status %d, want 401", got)
	}
}

func TestConn_principalInContext(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, nil)}, func(ctx context.Context, c *wssec.Conn) {
		p, _ := auth.PrincipalFrom(ctx)
		got <- p.Subject + "/" + c.Principal().Subject
		echo(ctx, c)
	})
	dial(t, srv, bearer(token(t, "alice", t0)))
	if s := <-got; s != "alice/alice" {
		t.Fatalf("principal %q", s)
	}
}
