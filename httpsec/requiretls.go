package httpsec

import (
	"net/http"
	"slices"
)

// CodeTLSRequired: a plain-HTTP request reached an endpoint that requires
// TLS (403).
const CodeTLSRequired = "TLS_REQUIRED"

// RequireTLSOptions configures RequireTLS. The zero value refuses every
// request not made over TLS.
type RequireTLSOptions struct {
	// ExemptPaths are exact request paths served over plain HTTP too, such
	// as a load balancer's "/healthz" probe.
	ExemptPaths []string
	// Auditor records each refusal; nil records nothing.
	Auditor *Auditor
}

// RequireTLS returns middleware that refuses, with 403 and CodeTLSRequired,
// every request that did not arrive over TLS. A request counts as TLS when
// the server terminated TLS itself (r.TLS is set) or when a trusted proxy
// said so: ClientIP, mounted before RequireTLS, believes X-Forwarded-Proto:
// https only from its TrustedProxies, so a client cannot claim TLS by
// sending the header itself.
//
// It refuses rather than redirects: an API client that sent a credential
// over plain HTTP has already leaked it, and a redirect would teach it to
// keep doing so.
func RequireTLS(opts RequireTLSOptions) func(http.Handler) http.Handler {
	exempt := slices.Clone(opts.ExemptPaths)
	body := errorJSON(CodeTLSRequired, "HTTPS is required: this server refuses plain HTTP")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS != nil || forwardedTLS(r.Context()) || slices.Contains(exempt, r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			opts.Auditor.RejectRequest(r, CodeTLSRequired, http.StatusForbidden, "")
			writeError(w, r, http.StatusForbidden, body)
		})
	}
}
