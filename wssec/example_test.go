package wssec_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/coder/websocket"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/wssec"
)

// The plain face: an echo endpoint behind every guard. Messages reach the
// handler size-checked, rate-limited and sanitised.
func ExampleUpgrader_Handler() {
	// In production, use jwt.NewVerifier; this one knows a single key.
	authn := auth.AuthenticatorFunc(func(_ context.Context, c auth.Credential) (*auth.Principal, error) {
		if c.Kind == auth.CredentialAPIKey && c.Value == "demo-key" {
			return &auth.Principal{Subject: "alice", Method: auth.MethodAPIKey}, nil
		}
		return nil, auth.ErrInvalidToken
	})
	u, err := wssec.New(wssec.Options{
		Authenticator:  authn,
		OriginPatterns: []string{"app.example.com"}, // besides the server's own host
	})
	if err != nil {
		panic(err) // misconfiguration: fail at startup
	}
	srv := httptest.NewServer(u.Handler(func(ctx context.Context, c *wssec.Conn) {
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			reply := fmt.Sprintf("%s said %s", c.Principal().Subject, msg)
			if c.Write(ctx, typ, []byte(reply)) != nil {
				return
			}
		}
	}))
	defer srv.Close()

	ctx := context.Background()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		HTTPHeader: http.Header{"X-API-Key": {"demo-key"}},
	})
	if err != nil {
		panic(err)
	}
	defer conn.CloseNow()
	_ = conn.Write(ctx, websocket.MessageText, []byte(`{"text":"<script>steal()</script>hello"}`))
	_, reply, _ := conn.Read(ctx)
	fmt.Println(string(reply))

	// A page on another site cannot open the socket in the user's name.
	_, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		HTTPHeader: http.Header{"X-API-Key": {"demo-key"}, "Origin": {"https://evil.test"}},
	})
	fmt.Println(resp.StatusCode, err != nil)
	// Output:
	// alice said {"text":"hello"}
	// 403 true
}

func ExampleJSONSanitizer() {
	s := wssec.NewJSONSanitizer(nil) // bluemonday's strict policy
	fmt.Println(string(s.Sanitize([]byte(`{"user":"<b>bob</b>","n":1.50,"tags":["<img src=x onerror=alert(1)>ok"]}`))))
	fmt.Println(string(s.Sanitize([]byte(`{"text":"nothing to do"}`))))
	fmt.Println(string(s.Sanitize([]byte(`fish & chips`))))
	// Output:
	// {"n":1.50,"tags":["ok"],"user":"bob"}
	// {"text":"nothing to do"}
	// fish &amp; chips
}
