// Package httpsec holds Rampart's HTTP middleware that has nothing to do with
// GraphQL: security headers, CSRF prevention, CORS, body limits, request ids,
// client-IP resolution behind trusted proxies, rate limiting by caller,
// audit records of rejections and server timeouts. Each middleware has the
// chi shape func(http.Handler) http.Handler and may be used on any endpoint,
// GraphQL or not (WebSocket handshakes, webhooks, health checks).
//
// Constructors validate their options and return an error wrapping
// rampart.ErrConfig, so misconfiguration stops startup; the zero value of
// every options struct is the hardened default. Rejections answer with the
// GraphQL error shape and a stable code:
//
//	{"errors":[{"message":"…","extensions":{"code":"CSRF_REJECTED"}}]}
//
// and are recorded once each by an Auditor, which other Rampart packages
// share. A typical chain, outermost first:
//
//	RequestID → ClientIP → SecureHeaders → CORS → BodyLimit → CSRF →
//	auth.Middleware → RateLimit → handler
//
// and the server itself goes through HardenServer for its timeouts.
package httpsec
