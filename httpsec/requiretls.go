package httpsec

import (
	"net/http"
	"slices"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/telemetry"
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
	// Mode: the zero value rampart.Enforce refuses; rampart.Measure lets
	// the request through, counted (outcome "measured") and audited;
	// rampart.Off skips the check.
	Mode rampart.Mode
	// Telemetry counts refusals (guard telemetry.GuardTLS). Nil records nothing.
	Telemetry *telemetry.Instruments
}

// RequireTLS returns middleware that refuses, with 403 and CodeTLSRequired,
// every request that did not arrive over TLS. A request counts as TLS when
// the server terminated TLS itself (r.TLS is set) or when a trusted proxy
// said so: ClientIP, mounted before RequireTLS, believes X-Forwarded-Proto:
// https only from its TrustedProxies, so a client cannot claim TLS by
// sending the header itself.
//
// An invalid Mode counts as rampart.Enforce.
//
// It refuses rather than redirects: an API client that sent a credential
// over plain HTTP has already leaked it, and a redirect would teach it to
// keep doing so.
func RequireTLS(opts RequireTLSOptions) func(http.Handler) http.Handler {
	exempt := slices.Clone(opts.ExemptPaths)
	body := errorJSON(CodeTLSRequired, "HTTPS is required: this server refuses plain HTTP")
	if opts.Mode == rampart.Off {
		return func(next http.Handler) http.Handler { return next }
	}
	g := guard{name: telemetry.GuardTLS, mode: opts.Mode, ins: opts.Telemetry, audit: opts.Auditor}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS != nil || forwardedTLS(r.Context()) || slices.Contains(exempt, r.URL.Path) ||
				!g.refuse(r, CodeTLSRequired, http.StatusForbidden, "") {
				next.ServeHTTP(w, r)
				return
			}
			writeError(w, r, http.StatusForbidden, body)
		})
	}
}
