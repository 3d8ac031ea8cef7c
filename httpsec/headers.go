package httpsec

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-go/rampart"
)

// Defaults of SecureHeadersOptions.
const (
	// DefaultContentSecurityPolicy forbids an API response from loading,
	// running or framing anything: JSON needs none of it.
	DefaultContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'"
	// DefaultHSTSMaxAge is the Strict-Transport-Security max-age used when
	// HSTS is on and HSTSMaxAge is zero: one year.
	DefaultHSTSMaxAge = 365 * 24 * time.Hour
	// hstsPreloadMinAge is the minimum max-age the preload list accepts.
	hstsPreloadMinAge = 365 * 24 * time.Hour
)

// SecureHeadersOptions configures SecureHeaders. The zero value sends every
// header below with its default and no Strict-Transport-Security.
type SecureHeadersOptions struct {
	// ContentSecurityPolicy replaces DefaultContentSecurityPolicy. Set it
	// only for routes that serve HTML (a GraphQL IDE, say); API routes
	// should keep the default.
	ContentSecurityPolicy string
	// CrossOriginResourcePolicy is sent as Cross-Origin-Resource-Policy.
	// Default "same-origin": other sites cannot embed responses through
	// no-cors requests (<script>, <img>). It does not affect CORS requests,
	// which the CORS allowlist governs. Allowed: "same-origin",
	// "same-site", "cross-origin".
	CrossOriginResourcePolicy string

	// HSTS turns on Strict-Transport-Security. It is sent only on requests
	// that arrived over TLS: r.TLS != nil, or X-Forwarded-Proto: https
	// from a proxy trusted by the ClientIP middleware (which must then run
	// before SecureHeaders). Default off: HSTS is sticky in browsers, so
	// switch it on deliberately once every host it covers serves HTTPS.
	HSTS bool
	// HSTSMaxAge is the max-age; zero means DefaultHSTSMaxAge (one year).
	// It is rounded down to whole seconds; negative is an error.
	HSTSMaxAge time.Duration
	// HSTSIncludeSubdomains adds includeSubDomains.
	HSTSIncludeSubdomains bool
	// HSTSPreload adds preload; it requires HSTSIncludeSubdomains and a
	// max-age of at least one year, as the preload list does.
	HSTSPreload bool
}

// SecureHeaders returns middleware that sets, before calling the next
// handler, on every response:
//
//	X-Content-Type-Options: nosniff
//	X-Frame-Options: DENY
//	Cache-Control: no-store
//	Referrer-Policy: no-referrer
//	Content-Security-Policy: default-src 'none'; frame-ancestors 'none'
//	Cross-Origin-Opener-Policy: same-origin
//	Cross-Origin-Resource-Policy: same-origin
//
// and Strict-Transport-Security on TLS requests when opts.HSTS is set. A
// handler may still overwrite any of them (a cacheable public resource, for
// instance). The returned error wraps rampart.ErrConfig.
func SecureHeaders(opts SecureHeadersOptions) (func(http.Handler) http.Handler, error) {
	csp := opts.ContentSecurityPolicy
	if csp == "" {
		csp = DefaultContentSecurityPolicy
	}
	if strings.ContainsAny(csp, "\r\n") {
		return nil, fmt.Errorf("%w: httpsec: secure headers: Content-Security-Policy contains a line break", rampart.ErrConfig)
	}
	corp := opts.CrossOriginResourcePolicy
	switch corp {
	case "":
		corp = "same-origin"
	case "same-origin", "same-site", "cross-origin":
	default:
		return nil, fmt.Errorf("%w: httpsec: secure headers: Cross-Origin-Resource-Policy %q is not same-origin, same-site or cross-origin", rampart.ErrConfig, corp)
	}
	var hsts []string
	if opts.HSTS {
		age := opts.HSTSMaxAge
		switch {
		case age < 0:
			return nil, fmt.Errorf("%w: httpsec: secure headers: negative HSTSMaxAge", rampart.ErrConfig)
		case age == 0:
			age = DefaultHSTSMaxAge
		}
		if opts.HSTSPreload && (!opts.HSTSIncludeSubdomains || age < hstsPreloadMinAge) {
			return nil, fmt.Errorf("%w: httpsec: secure headers: HSTSPreload needs HSTSIncludeSubdomains and a max-age of at least one year", rampart.ErrConfig)
		}
		v := "max-age=" + strconv.FormatInt(int64(age/time.Second), 10)
		if opts.HSTSIncludeSubdomains {
			v += "; includeSubDomains"
		}
		if opts.HSTSPreload {
			v += "; preload"
		}
		hsts = []string{v}
	}

	// Precomputed values shared by every response: append on a slice of
	// cap 1 copies, so a handler's Header().Add cannot write into them.
	var (
		nosniff  = []string{"nosniff"}
		deny     = []string{"DENY"}
		noStore  = []string{"no-store"}
		noRef    = []string{"no-referrer"}
		cspV     = []string{csp}
		coop     = []string{"same-origin"}
		corpV    = []string{corp}
		hstsVals = hsts
	)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h["X-Content-Type-Options"] = nosniff
			h["X-Frame-Options"] = deny
			h["Cache-Control"] = noStore
			h["Referrer-Policy"] = noRef
			h["Content-Security-Policy"] = cspV
			h["Cross-Origin-Opener-Policy"] = coop
			h["Cross-Origin-Resource-Policy"] = corpV
			if hstsVals != nil && (r.TLS != nil || forwardedTLS(r.Context())) {
				h["Strict-Transport-Security"] = hstsVals
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}
