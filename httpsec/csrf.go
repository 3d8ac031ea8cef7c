package httpsec

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/telemetry"
)

// DefaultCSRFHeaders returns the headers CSRF accepts when
// CSRFOptions.RequestHeaders is empty: the two Apollo Server recommends.
// Apollo Client sends X-Apollo-Operation-Name on every operation it names.
func DefaultCSRFHeaders() []string {
	return []string{"X-Apollo-Operation-Name", "Apollo-Require-Preflight"}
}

// CSRFOptions configures CSRF. The zero value accepts the headers of
// DefaultCSRFHeaders.
type CSRFOptions struct {
	// RequestHeaders replaces DefaultCSRFHeaders: a simple request passes
	// if it carries a non-empty value for any of them. To add one (say
	// X-Requested-With or GraphQL-Require-Preflight), list the defaults
	// too. Names a browser may send cross-site without a preflight
	// (Accept, Content-Type, Cookie, Origin, Referer, Sec-*, …) are
	// refused: requiring them would protect nothing.
	RequestHeaders []string
	// Auditor records each rejection; nil records nothing.
	Auditor *Auditor
	// Mode: the zero value rampart.Enforce refuses; rampart.Measure lets
	// the request through, counted (outcome "measured") and audited;
	// rampart.Off skips the check.
	Mode rampart.Mode
	// Telemetry counts refusals (guard telemetry.GuardCSRF). Nil records nothing.
	Telemetry *telemetry.Instruments
}

// CSRF returns middleware implementing Apollo Server's CSRF prevention rule.
// A browser sends a "simple" request cross-site without first asking the
// server (no CORS preflight), so CORS cannot stop its side effects. CSRF
// refuses, with 400 and CodeCSRFRejected, every request that
//
//   - has method GET, HEAD or POST, and
//   - has no Content-Type, or one whose media type is text/plain,
//     application/x-www-form-urlencoded or multipart/form-data, and
//   - carries none of the required headers with a non-empty value.
//
// The media type is compared by its essence — the part before any ';',
// trimmed and lowercased — so case, parameters and whitespace do not get a
// request past. Stricter than Apollo, an empty, malformed or repeated
// Content-Type also counts as simple: Rampart fails closed where Apollo
// lets an unparseable type through.
//
// Other methods (PUT, PATCH, DELETE, OPTIONS) always trigger a preflight,
// so they pass. A WebSocket handshake (GET with Connection: upgrade and
// Upgrade: websocket, headers a page cannot set) passes too: cross-site
// WebSocket hijacking is stopped by wssec's Origin allowlist, not here.
//
// Mutations over GET need no check here: gqlgen's GET transport
// (graphql/handler/transport/http_get.go, v0.17.98) answers 406 "GET
// requests only allow query operations" for anything but a query, before
// any resolver runs. CSRF still refuses header-less GETs, which blocks
// cross-site reads of query results (XS-Search) and cache-busting floods
// of expensive queries from other sites.
//
// Mount CSRF on the endpoints browsers call (the GraphQL route), not in
// front of health checks or form-encoded webhooks from other services,
// which it would refuse. The returned error wraps rampart.ErrConfig.
func CSRF(opts CSRFOptions) (func(http.Handler) http.Handler, error) {
	names := opts.RequestHeaders
	if len(names) == 0 {
		names = DefaultCSRFHeaders()
	}
	canon := make([]string, 0, len(names))
	shown := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.TrimSpace(n)
		if !validToken(n) {
			return nil, fmt.Errorf("%w: httpsec: csrf: %q is not a valid header name", rampart.ErrConfig, n)
		}
		if browserMaySend(n) {
			return nil, fmt.Errorf("%w: httpsec: csrf: a browser may send %q cross-site without a preflight; it cannot prove anything", rampart.ErrConfig, n)
		}
		canon = append(canon, http.CanonicalHeaderKey(n))
		shown = append(shown, n)
	}
	body := errorJSON(CodeCSRFRejected, fmt.Sprintf(
		"This request has been blocked as a potential cross-site request forgery (CSRF). "+
			"Send a Content-Type other than text/plain, application/x-www-form-urlencoded "+
			"or multipart/form-data (such as application/json), or a non-empty %s header.",
		strings.Join(shown, " or ")))
	audit := opts.Auditor
	if err := checkMode("csrf", opts.Mode); err != nil {
		return nil, err
	}
	if opts.Mode == rampart.Off {
		return func(next http.Handler) http.Handler { return next }, nil
	}
	g := guard{name: telemetry.GuardCSRF, mode: opts.Mode, ins: opts.Telemetry, audit: audit}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if csrfSuspect(r) && !hasAnyHeader(r.Header, canon) {
				if g.refuse(r, CodeCSRFRejected, http.StatusBadRequest, "") {
					writeError(w, r, http.StatusBadRequest, body)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

// csrfSuspect reports whether r is a request a browser could send
// cross-site without a preflight (and is not a WebSocket handshake).
func csrfSuspect(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet:
		if isWebSocketUpgrade(r.Header) {
			return false
		}
	case http.MethodHead, http.MethodPost:
	default:
		return false
	}
	return simpleContentType(r.Header["Content-Type"])
}

// simpleContentType reports whether the Content-Type header lines vals
// could come from a simple request. Anything not clearly a single
// well-formed, non-simple media type counts as simple.
func simpleContentType(vals []string) bool {
	if len(vals) != 1 {
		return true // absent, or repeated: fail closed
	}
	essence, _, _ := strings.Cut(vals[0], ";")
	essence = strings.TrimSpace(essence)
	typ, sub, ok := strings.Cut(essence, "/")
	if !ok || !validToken(typ) || !validToken(sub) {
		return true
	}
	switch {
	case strings.EqualFold(typ, "text"):
		return strings.EqualFold(sub, "plain")
	case strings.EqualFold(typ, "application"):
		return strings.EqualFold(sub, "x-www-form-urlencoded")
	case strings.EqualFold(typ, "multipart"):
		return strings.EqualFold(sub, "form-data")
	}
	return false
}

func hasAnyHeader(h http.Header, names []string) bool {
	for _, n := range names {
		for _, v := range h[n] {
			if strings.TrimSpace(v) != "" {
				return true
			}
		}
	}
	return false
}

// isWebSocketUpgrade reports a WebSocket handshake: Connection lists the
// "upgrade" token and Upgrade lists "websocket". Both are forbidden header
// names that page scripts cannot set.
func isWebSocketUpgrade(h http.Header) bool {
	return headerHasToken(h["Connection"], "upgrade") && headerHasToken(h["Upgrade"], "websocket")
}

func headerHasToken(vals []string, token string) bool {
	for _, v := range vals {
		for v != "" {
			var t string
			t, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// browserMaySend reports header names a browser attaches, or lets a page
// attach, to a cross-site request without a CORS preflight: the
// CORS-safelisted request headers and the headers the browser sets itself.
func browserMaySend(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, "sec-") || strings.HasPrefix(n, "proxy-") || strings.HasPrefix(n, "access-control-") {
		return true
	}
	switch n {
	case "accept", "accept-language", "content-language", "content-type", "range",
		"accept-charset", "accept-encoding", "cache-control", "connection", "content-length",
		"cookie", "cookie2", "date", "dnt", "expect", "host", "keep-alive", "last-event-id",
		"origin", "pragma", "priority", "referer", "te", "trailer", "transfer-encoding",
		"upgrade", "upgrade-insecure-requests", "user-agent", "via", "authorization":
		return true
	}
	return false
}

// validToken reports an RFC 9110 token.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
