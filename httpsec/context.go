package httpsec

import (
	"context"
	"net/netip"
)

type requestIDKey struct{}

func (requestIDKey) String() string { return "rampart/httpsec.requestID" }

type clientIPKey struct{}

func (clientIPKey) String() string { return "rampart/httpsec.clientIP" }

// WithRequestID returns a copy of ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request id stored by the RequestID middleware, or
// "" when there is none.
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithClientIP returns a copy of ctx carrying the client's address as
// resolved by the ClientIP middleware.
func WithClientIP(ctx context.Context, ip netip.Addr) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIPFrom returns the client address stored by the ClientIP middleware.
// ok is false when none was stored.
func ClientIPFrom(ctx context.Context) (ip netip.Addr, ok bool) {
	ip, ok = ctx.Value(clientIPKey{}).(netip.Addr)
	return ip, ok
}
