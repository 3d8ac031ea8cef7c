package gqlws_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/99designs/gqlgen/graphql/handler/testserver"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/wssec"
	"github.com/rampart-go/rampart/wssec/gqlws"
)

// Wiring gqlws into a gqlgen handler.Server: the transport authenticates
// connection_init and puts the Principal in the resolvers' context.
func ExampleTransport_Websocket() {
	authn := auth.AuthenticatorFunc(func(_ context.Context, c auth.Credential) (*auth.Principal, error) {
		if c.Value == "alice-token" { // use jwt.NewVerifier in production
			return &auth.Principal{Subject: "alice"}, nil
		}
		return nil, auth.ErrInvalidToken
	})
	tr, err := gqlws.New(gqlws.Options{Options: wssec.Options{
		Authenticator:  authn,
		OriginPatterns: []string{"app.example.com"},
	}})
	if err != nil {
		panic(err)
	}
	srv := testserver.New() // any *handler.Server
	srv.AddTransport(tr.Websocket())
	srv.AddTransport(transport.POST{})
	hs := httptest.NewServer(srv)
	defer hs.Close()

	// A graphql-transport-ws client.
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http"), &websocket.DialOptions{
		Subprotocols: []string{gqlws.Subprotocol},
	})
	if err != nil {
		panic(err)
	}
	defer c.CloseNow()
	type msg struct {
		Type    string         `json:"type"`
		ID      string         `json:"id,omitempty"`
		Payload map[string]any `json:"payload,omitempty"`
	}
	_ = wsjson.Write(ctx, c, msg{Type: "connection_init", Payload: map[string]any{"Authorization": "Bearer alice-token"}})
	var ack msg
	_ = wsjson.Read(ctx, c, &ack)
	fmt.Println(ack.Type)
	_ = wsjson.Write(ctx, c, msg{Type: "subscribe", ID: "1", Payload: map[string]any{"query": "subscription { name }"}})
	go srv.SendNextSubscriptionMessage()
	var next msg
	_ = wsjson.Read(ctx, c, &next)
	fmt.Println(next.Type, next.Payload["data"])

	// Subscribing again with the same id breaks the protocol: 4409.
	_ = wsjson.Write(ctx, c, msg{Type: "subscribe", ID: "1", Payload: map[string]any{"query": "subscription { name }"}})
	_, _, err = c.Read(ctx)
	fmt.Println(websocket.CloseStatus(err))
	// Output:
	// connection_ack
	// next map[name:test]
	// StatusCode(4409)
}
