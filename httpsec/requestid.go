package httpsec

import (
	"crypto/rand"
	"net/http"

	"github.com/rampart-go/rampart/reqctx"
)

// RequestIDHeader is the header RequestID sets on responses and, when
// trusted, reads from requests.
const RequestIDHeader = "X-Request-Id"

// MaxRequestIDLen is the longest incoming request id RequestID accepts.
const MaxRequestIDLen = 64

// RequestIDOptions configures RequestID. The zero value ignores incoming
// ids and generates a fresh random one per request.
type RequestIDOptions struct {
	// TrustIncoming accepts the X-Request-Id sent by the client or proxy
	// when it is well formed (1 to 64 characters of A-Z a-z 0-9 . _ -);
	// anything else is replaced by a fresh id. Turn it on only behind a
	// proxy that sets or sanitises the header: a client-chosen id can
	// collide with another request's on purpose and muddle the logs.
	TrustIncoming bool
	// NewID generates ids; nil means crypto/rand.Text (26 base32
	// characters, 130 bits). Tests and examples inject a fixed generator.
	NewID func() string
}

// RequestID returns middleware that gives each request an id, stores it in
// the context (reqctx.WithRequestID; read it with reqctx.RequestID) and sends it in
// the X-Request-Id response header, so that a client quoting it lets the
// operator find the request's log records (see LogHandler). Ids never
// carry anything from the request but a validated incoming id.
func RequestID(opts RequestIDOptions) func(http.Handler) http.Handler {
	gen := opts.NewID
	if gen == nil {
		gen = rand.Text
	}
	trust := opts.TrustIncoming
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := ""
			if trust {
				if v := r.Header[RequestIDHeader]; len(v) == 1 && ValidRequestID(v[0]) {
					id = v[0]
				}
			}
			if id == "" {
				id = gen()
			}
			w.Header()[RequestIDHeader] = []string{id}
			next.ServeHTTP(w, r.WithContext(reqctx.WithRequestID(r.Context(), id)))
		})
	}
}

// ValidRequestID reports whether id is 1 to MaxRequestIDLen characters of
// A-Z, a-z, 0-9, '.', '_' and '-': safe to log and to echo in a header.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
