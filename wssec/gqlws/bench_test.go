package gqlws_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/wssec"
	"github.com/rampart-go/rampart/wssec/gqlws"
)

// BenchmarkRoundTrip measures graphql-transport-ws ping/pong round trips
// through gqlgen: with gqlgen's default coder/websocket implementation (the
// bare baseline) and with gqlws (protocol checks, size and rate limits,
// sanitiser).
func BenchmarkRoundTrip(b *testing.B) {
	authn := auth.AuthenticatorFunc(func(context.Context, auth.Credential) (*auth.Principal, error) {
		return &auth.Principal{Subject: "bench"}, nil
	})
	tr, err := gqlws.New(gqlws.Options{Options: wssec.Options{
		Authenticator: authn,
		MessageRate:   ratelimit.Rate{Limit: 1 << 30, Period: 1e9, Burst: 1 << 30},
	}})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		ws   transport.Websocket
	}{
		{"gqlgen_default", transport.Websocket{}},
		{"gqlws", tr.Websocket()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := handler.New(NewSchema(NewBroker()))
			srv.AddTransport(bc.ws)
			hs := httptest.NewServer(srv)
			defer hs.Close()
			c := dialGQL(b, hs, nil)
			c.init(map[string]any{"token": "bench"})
			ping := []byte(`{"type":"ping"}`)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := c.c.Write(ctx, websocket.MessageText, ping); err != nil {
					b.Fatal(err)
				}
				if _, _, err := c.c.Read(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
