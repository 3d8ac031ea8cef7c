// Package httpsec holds Rampart's HTTP middleware that has nothing to do with
// GraphQL: security headers, CSRF prevention, CORS, body limits, request ids,
// client-IP resolution behind trusted proxies, rate limiting by caller and
// audit records. Each middleware has the chi shape
// func(http.Handler) http.Handler and may be used on any endpoint.
package httpsec
