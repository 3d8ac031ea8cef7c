package httpsec

import (
	"errors"
	"net/http"

	"github.com/rampart-go/rampart/internal/jsonerror"
)

// Stable error codes, sent to clients in extensions.code and written to audit
// records. They never change once released.
const (
	// CodeCSRFRejected: a request a browser could have sent cross-site
	// without a CORS preflight carried none of the required headers (400).
	CodeCSRFRejected = "CSRF_REJECTED"
	// CodeRequestTooLarge: the request body exceeded the body limit (413).
	CodeRequestTooLarge = "REQUEST_TOO_LARGE"
	// CodeRateLimited: the caller spent its rate-limit tokens (429).
	CodeRateLimited = "RATE_LIMITED"
	// CodeRateLimitUnavailable: the rate limiter's backend failed and the
	// limiter fails closed (503).
	CodeRateLimitUnavailable = "RATE_LIMIT_UNAVAILABLE"
	// CodeCORSRejected: a CORS preflight from an origin, method or header
	// outside the allowlist. The preflight is answered without any
	// Access-Control-Allow-* header, so this code appears in audit records
	// only, never in a response body.
	CodeCORSRejected = "CORS_REJECTED"
)

// ErrInvalidConfig is wrapped by every constructor error in this package:
// misconfiguration is refused at startup, never discovered per request.
var ErrInvalidConfig = errors.New("httpsec: invalid configuration")

// errorJSON renders a GraphQL-shaped error body (internal/jsonerror).
func errorJSON(code, message string) []byte { return jsonerror.Body(code, message) }

// writeError writes a body from errorJSON with status.
func writeError(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	jsonerror.WriteFor(w, r, status, body)
}
