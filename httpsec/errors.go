package httpsec

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
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

// errorBody is the GraphQL error shape, so that GraphQL clients (Apollo,
// urql, graphql-request) surface the message and code unchanged.
type errorBody struct {
	Errors [1]errorEntry `json:"errors"`
}

type errorEntry struct {
	Message    string         `json:"message"`
	Extensions errorExtension `json:"extensions"`
}

type errorExtension struct {
	Code string `json:"code"`
}

// errorJSON renders {"errors":[{"message":…,"extensions":{"code":…}}]}
// followed by a newline. Messages are fixed server-side strings: nothing
// from the request is ever echoed.
func errorJSON(code, message string) []byte {
	b, err := json.Marshal(errorBody{Errors: [1]errorEntry{{
		Message:    message,
		Extensions: errorExtension{Code: code},
	}}})
	if err != nil { // cannot happen for two strings
		panic("httpsec: " + err.Error())
	}
	return append(b, '\n')
}

// writeError writes a precomputed JSON error body with status.
func writeError(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
