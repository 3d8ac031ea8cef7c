package httpsec

import (
	"net/http"
	"time"
)

// Server limits applied by HardenServer to fields left at zero.
const (
	// DefaultReadHeaderTimeout bounds how long a client may take to send
	// the request line and headers: the slow-loris guard.
	DefaultReadHeaderTimeout = 5 * time.Second
	// DefaultReadTimeout bounds reading the whole request, body included.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds the handler plus writing the response.
	// Hijacked connections (WebSocket) are not affected: net/http clears
	// the deadlines on Hijack. Raise it for long SSE streams.
	DefaultWriteTimeout = 60 * time.Second
	// DefaultIdleTimeout bounds an idle keep-alive connection.
	DefaultIdleTimeout = 120 * time.Second
	// DefaultMaxHeaderBytes caps the request line plus headers: 64 KiB,
	// room for large JWTs and cookies (net/http's own default is 1 MiB).
	DefaultMaxHeaderBytes = 64 << 10
)

// HardenServer sets every timeout and size limit of srv that is zero to its
// default above and returns srv. Fields already set are kept, so callers
// can override any of them before or after. net/http's zero values mean
// "no limit": a server started without these lets one client hold a
// connection open forever by sending a header a byte at a time.
func HardenServer(srv *http.Server) *http.Server {
	if srv.ReadHeaderTimeout == 0 {
		srv.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if srv.ReadTimeout == 0 {
		srv.ReadTimeout = DefaultReadTimeout
	}
	if srv.WriteTimeout == 0 {
		srv.WriteTimeout = DefaultWriteTimeout
	}
	if srv.IdleTimeout == 0 {
		srv.IdleTimeout = DefaultIdleTimeout
	}
	if srv.MaxHeaderBytes == 0 {
		srv.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	return srv
}
