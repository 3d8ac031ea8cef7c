package httpsec

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/cors"

	"github.com/rampart-go/rampart"
)

// Defaults of CORSOptions.
const (
	// DefaultCORSMaxAge is how long browsers may cache a preflight answer.
	DefaultCORSMaxAge = 10 * time.Minute
)

// DefaultCORSHeaders returns the request headers CORS allows cross-origin
// when CORSOptions.AllowedHeaders is empty: what a GraphQL client sends,
// including the CSRF headers.
func DefaultCORSHeaders() []string {
	return []string{
		"Authorization", "Content-Type", "Accept",
		"X-Apollo-Operation-Name", "Apollo-Require-Preflight",
		"GraphQL-Require-Preflight", "X-Requested-With",
	}
}

// DefaultCORSExposedHeaders returns the response headers a cross-origin
// page may read when CORSOptions.ExposedHeaders is empty.
func DefaultCORSExposedHeaders() []string {
	return []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After", "X-Request-Id"}
}

// CORSOptions configures CORS. The zero value allows no cross-origin
// request at all: browsers get no Access-Control-Allow-Origin, so only
// same-origin pages can read responses.
type CORSOptions struct {
	// AllowedOrigins is the allowlist of origins, such as
	// "https://app.example.com" (scheme, host and optional port; no path).
	// One wildcard for subdomains is accepted: "https://*.example.com".
	// "*" allows every origin and cannot be combined with
	// AllowCredentials. "null" (sandboxed frames, file: pages) is refused.
	// Empty: no cross-origin access.
	AllowedOrigins []string
	// AllowCredentials lets allowed origins send cookies and HTTP auth.
	// Bearer tokens in Authorization do not need it.
	AllowCredentials bool
	// AllowedMethods defaults to GET and POST.
	AllowedMethods []string
	// AllowedHeaders replaces DefaultCORSHeaders; "*" is refused.
	AllowedHeaders []string
	// ExposedHeaders replaces DefaultCORSExposedHeaders.
	ExposedHeaders []string
	// MaxAge is the preflight cache lifetime; zero means
	// DefaultCORSMaxAge, negative sends max-age 0.
	MaxAge time.Duration
	// Auditor records each refused preflight; nil records nothing.
	Auditor *Auditor
}

// CORS returns middleware built on github.com/rs/cors that answers
// preflights (OPTIONS with Access-Control-Request-Method) itself, with 204,
// and decorates other responses with Access-Control-* headers for allowed
// origins. Every response carries the Vary headers caches need.
//
// A refused preflight (origin, method or header not allowed) is still
// answered 204 but without Access-Control-Allow-Origin, so the browser
// blocks the real request; CORS records it with CodeCORSRejected. A
// non-preflight request from an unlisted origin is served without CORS
// headers (the browser hides the response from the page); stopping its
// side effects is CSRF's job. The returned error wraps rampart.ErrConfig.
func CORS(opts CORSOptions) (func(http.Handler) http.Handler, error) {
	co := cors.Options{
		AllowCredentials: opts.AllowCredentials,
		AllowedMethods:   opts.AllowedMethods,
		AllowedHeaders:   opts.AllowedHeaders,
		ExposedHeaders:   opts.ExposedHeaders,
	}
	if len(co.AllowedMethods) == 0 {
		co.AllowedMethods = []string{http.MethodGet, http.MethodPost}
	}
	if len(co.AllowedHeaders) == 0 {
		co.AllowedHeaders = DefaultCORSHeaders()
	}
	for _, h := range co.AllowedHeaders {
		if h == "*" {
			return nil, fmt.Errorf("%w: httpsec: cors: AllowedHeaders \"*\" is refused; list the headers", rampart.ErrConfig)
		}
		if !validToken(h) {
			return nil, fmt.Errorf("%w: httpsec: cors: %q is not a valid header name", rampart.ErrConfig, h)
		}
	}
	for _, m := range co.AllowedMethods {
		if !validToken(m) {
			return nil, fmt.Errorf("%w: httpsec: cors: %q is not a valid method", rampart.ErrConfig, m)
		}
	}
	if len(co.ExposedHeaders) == 0 {
		co.ExposedHeaders = DefaultCORSExposedHeaders()
	}
	switch age := opts.MaxAge; {
	case age == 0:
		co.MaxAge = int(DefaultCORSMaxAge / time.Second)
	case age < 0:
		co.MaxAge = -1
	default:
		co.MaxAge = max(int(age/time.Second), 1)
	}
	origins := make([]string, 0, len(opts.AllowedOrigins))
	for _, o := range opts.AllowedOrigins {
		o = strings.ToLower(strings.TrimSpace(o))
		if o == "*" {
			if opts.AllowCredentials {
				return nil, fmt.Errorf("%w: httpsec: cors: origin \"*\" with AllowCredentials would let every site act as the user", rampart.ErrConfig)
			}
			if len(opts.AllowedOrigins) > 1 {
				return nil, fmt.Errorf("%w: httpsec: cors: origin \"*\" mixed with other origins", rampart.ErrConfig)
			}
		} else if err := validOrigin(o); err != nil {
			return nil, err
		}
		origins = append(origins, o)
	}
	if len(origins) == 0 {
		// rs/cors reads an empty list as "every origin": say "none".
		co.AllowOriginFunc = func(string) bool { return false }
	} else {
		co.AllowedOrigins = origins
	}
	c := cors.New(co)
	audit := opts.Auditor
	return func(next http.Handler) http.Handler {
		h := c.Handler(next)
		if audit == nil {
			return h
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r)
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" &&
				r.Header.Get("Origin") != "" && w.Header().Get("Access-Control-Allow-Origin") == "" {
				audit.RejectRequest(r, CodeCORSRejected, http.StatusNoContent, "preflight refused")
			}
		})
	}, nil
}

// validOrigin checks a lowercased allowlist entry.
func validOrigin(o string) error {
	if o == "null" {
		return fmt.Errorf("%w: httpsec: cors: origin \"null\" is shared by every sandboxed frame and file: page", rampart.ErrConfig)
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "/") {
		return fmt.Errorf("%w: httpsec: cors: origin %q is not scheme://host[:port]", rampart.ErrConfig, o)
	}
	if i := strings.IndexByte(u.Host, '*'); i >= 0 {
		if !strings.HasPrefix(u.Host, "*.") || strings.Count(u.Host, "*") > 1 || strings.Count(u.Host, ".") < 2 {
			return fmt.Errorf("%w: httpsec: cors: origin %q: the only wildcard allowed is a leading \"*.\" before a registrable domain", rampart.ErrConfig, o)
		}
	}
	return nil
}
