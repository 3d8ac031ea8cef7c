// Package reqctx carries the request-scoped values every Rampart layer reads:
// the request id and the client's IP address. httpsec's RequestID and
// ClientIP middleware set them; gqlsec, wssec, directives and your own
// handlers read them, without importing httpsec.
//
// It is a leaf: it imports only the standard library.
package reqctx

import (
	"context"
	"net/netip"
)

type requestIDKey struct{}

func (requestIDKey) String() string { return "rampart/reqctx.requestID" }

type clientIPKey struct{}

func (clientIPKey) String() string { return "rampart/reqctx.clientIP" }

// WithRequestID returns a copy of ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id stored by WithRequestID (httpsec's
// RequestID middleware), or "" when there is none.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithClientIP returns a copy of ctx carrying the client's address, as
// resolved by httpsec's ClientIP middleware.
func WithClientIP(ctx context.Context, ip netip.Addr) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIP returns the client address stored by WithClientIP (httpsec's
// ClientIP middleware). ok is false when none was stored.
func ClientIP(ctx context.Context) (ip netip.Addr, ok bool) {
	ip, ok = ctx.Value(clientIPKey{}).(netip.Addr)
	return ip, ok
}
