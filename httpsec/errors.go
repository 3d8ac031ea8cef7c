package httpsec

import (
	"net/http"

	"github.com/rampart-go/rampart/internal/jsonerror"
)

// Stable error codes, sent to clients in extensions.code and written to audit
// records. They never change once released.
const (
	// CodeCSRFRejected: a request a browser could have sent cross-site
	// without a CORS preflight carried none of the required headers (400).
	CodeCSRFRejected = "CSRF_REJECTED"
	// CodeCORSRejected: a CORS preflight from an origin, method or header
	// outside the allowlist. The preflight is answered without any
	// Access-Control-Allow-* header, so this code appears in audit records
	// only, never in a response body.
	CodeCORSRejected = "CORS_REJECTED"
)

// errorJSON renders a GraphQL-shaped error body (internal/jsonerror).
func errorJSON(code, message string) []byte { return jsonerror.Body(code, message) }

// writeError writes a body from errorJSON with status.
func writeError(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	jsonerror.WriteFor(w, r, status, body)
}
