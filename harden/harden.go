// Package harden serves a gqlgen schema behind every Rampart guard in one
// call. Handler builds the gqlgen server (GraphQL over POST and GET, and
// graphql-transport-ws through wssec/gqlws), installs gqlsec's operation
// guards and Rampart's directives, and puts the HTTP chain in front, in
// this order:
//
//	request id → client IP → secure headers → CORS → body limit → CSRF →
//	authentication → rate limit by caller → gqlsec.Handler(gqlgen server)
//
// The zero Options (with an Authenticator) are the production defaults of
// each package: 1 MiB bodies, same-origin only, CSRF prevention, 60
// requests a minute per anonymous IP and 600 per authenticated caller in an
// in-memory limiter, depth 15 and cost 5000, introspection and suggestions
// for nobody, masked internal errors, authenticated WebSocket connections
// with their message, size and connection caps. Every stage can be tuned
// (Options.GraphQL, Options.RateLimit, Options.WebSocket...) or replaced
// (Options.Replace), and a nil Logger means slog.Default() throughout.
//
// Directives: gqlgen needs them in the generated Config before
// NewExecutableSchema, so Handler cannot wire them itself. Fill the
// DirectiveRoot with directives.Directives.Bind and pass the Directives in
// Options.Directives; Handler validates the schema against them (an error,
// not a panic) and installs their default-deny rule on every field.
package harden

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/directives"
	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/httpsec"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/wssec/gqlws"
)

// Middleware is one stage of the HTTP chain.
type Middleware = func(http.Handler) http.Handler

// Skip is a Middleware that does nothing: set a stage of Options.Replace to
// Skip to leave it out (CSRF for an endpoint no browser calls, say).
func Skip(next http.Handler) http.Handler { return next }

// Chain holds replacements for the stages of the HTTP chain, in the order
// they run. A nil stage is built by Handler from Options; any other value
// is used as is, in the same place.
type Chain struct {
	// RequestID defaults to httpsec.RequestID with zero options.
	RequestID Middleware
	// ClientIP defaults to httpsec.ClientIP trusting Options.TrustedProxies.
	ClientIP Middleware
	// SecureHeaders defaults to httpsec.SecureHeaders with zero options
	// (no HSTS: replace this stage to turn it on).
	SecureHeaders Middleware
	// CORS defaults to httpsec.CORS allowing Options.AllowedOrigins.
	CORS Middleware
	// BodyLimit defaults to httpsec.BodyLimit (1 MiB).
	BodyLimit Middleware
	// CSRF defaults to httpsec.CSRF.
	CSRF Middleware
	// Authentication defaults to auth.Middleware(Options.Authenticator).
	Authentication Middleware
	// RateLimit defaults to httpsec.RateLimit(Options.Limiter,
	// Options.RateLimit).
	RateLimit Middleware
}

// Options configures Handler. Only Authenticator is required.
type Options struct {
	// Authenticator verifies the credentials of HTTP requests and of
	// WebSocket connections (a JWT verifier, an API key authenticator, an
	// auth.MultiAuthenticator of both). Required: pass
	// auth.MultiAuthenticator{}, which refuses every credential, for an API
	// that only anonymous callers use. A request without a credential is
	// anonymous; one with a refused credential gets 401.
	Authenticator auth.Authenticator
	// Directives, when set, are validated against the schema and installed
	// on the server (their default-deny rule on every field). Their methods
	// must already be in the generated DirectiveRoot (directives.Bind).
	Directives *directives.Directives
	// Limiter backs the per-caller rate limit and the WebSocket caller
	// limit. Nil means a new ratelimit.NewMemory (one process); with several
	// replicas pass a shared one (ratelimit's Redis store), the same one
	// directives.Options.Limiter uses.
	Limiter ratelimit.Limiter
	// TrustedProxies are the proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (see httpsec.ClientIPOptions). Empty:
	// the TCP peer is the client.
	TrustedProxies []string
	// AllowedOrigins are the origins of the web pages allowed to call the
	// API from another origin ("https://app.example.com",
	// "https://*.example.com"): the CORS allowlist and the WebSocket origin
	// patterns. Empty: same-origin pages and non-browser clients only.
	AllowedOrigins []string
	// GraphQL configures gqlsec's guards; the zero value is the hardened
	// default. A nil GraphQL.Logger means Logger.
	GraphQL gqlsec.Config
	// RateLimit sets the rates of the per-caller HTTP rate limit; the zero
	// value is httpsec's default. A nil Auditor means one on Logger.
	RateLimit httpsec.RateLimitOptions
	// WebSocket configures graphql-transport-ws. Zero fields get
	// Authenticator, Limiter (as CallerLimiter), AllowedOrigins (as
	// OriginPatterns) and Logger; the rest are wssec's defaults.
	WebSocket gqlws.Options
	// NoWebSocket serves no WebSocket transport (no subscriptions).
	NoWebSocket bool
	// Server, if set, is called with the gqlgen server after Handler added
	// its transports and before it installs the guards: add a transport
	// (upload.Guard.Transport for multipart uploads) or an extension. It
	// must not set the error presenter, recover func, query cache or
	// validation rules, which gqlsec owns.
	Server func(*handler.Server)
	// Replace replaces stages of the HTTP chain (see Chain).
	Replace Chain
	// Logger receives every stage's refusals and errors. Nil means
	// slog.Default().
	Logger *slog.Logger
}

// Handler returns es served behind every guard: see the package
// documentation for the chain and its defaults. It returns an error, and
// serves nothing, on any misconfiguration; it never panics.
func Handler(es graphql.ExecutableSchema, o Options) (http.Handler, error) {
	if es == nil {
		return nil, fmt.Errorf("%w: harden: nil ExecutableSchema", rampart.ErrConfig)
	}
	if o.Authenticator == nil {
		return nil, fmt.Errorf("%w: harden: Options.Authenticator is required (auth.MultiAuthenticator{} refuses every credential)", rampart.ErrConfig)
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	limiter := o.Limiter
	if limiter == nil {
		m, err := ratelimit.NewMemory(ratelimit.MemoryOptions{})
		if err != nil {
			return nil, fmt.Errorf("harden: limiter: %w", err)
		}
		limiter = m
	}
	audit := httpsec.NewAuditor(log)

	gql, err := graphQL(es, o, log, limiter)
	if err != nil {
		return nil, err
	}
	chain, err := stages(o, log, audit, limiter)
	if err != nil {
		return nil, err
	}
	h := gql
	for i := len(chain) - 1; i >= 0; i-- {
		h = chain[i](h)
	}
	return h, nil
}

// graphQL builds the gqlgen server with its transports, the directives and
// gqlsec's guards.
func graphQL(es graphql.ExecutableSchema, o Options, log *slog.Logger, limiter ratelimit.Limiter) (http.Handler, error) {
	srv := handler.New(es)
	if o.Directives != nil {
		// Validate first so that a schema mistake is an error, not the
		// panic srv.Use would raise.
		if err := o.Directives.Validate(es); err != nil {
			return nil, fmt.Errorf("harden: directives: %w", err)
		}
		srv.Use(o.Directives)
	}
	if !o.NoWebSocket {
		wo := o.WebSocket
		if wo.Authenticator == nil {
			wo.Authenticator = o.Authenticator
		}
		if wo.CallerLimiter == nil {
			wo.CallerLimiter = limiter
		}
		if wo.OriginPatterns == nil {
			wo.OriginPatterns = o.AllowedOrigins
		}
		if wo.Logger == nil {
			wo.Logger = log
		}
		ws, err := gqlws.New(wo)
		if err != nil {
			return nil, fmt.Errorf("harden: WebSocket: %w", err)
		}
		srv.AddTransport(ws.Websocket())
	}
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	if o.Server != nil {
		o.Server(srv)
	}
	cfg := o.GraphQL
	if cfg.Logger == nil {
		cfg.Logger = log
	}
	gql, err := gqlsec.Handler(srv, cfg)
	if err != nil {
		return nil, fmt.Errorf("harden: GraphQL: %w", err)
	}
	return gql, nil
}

// stages returns the HTTP chain, first stage first.
func stages(o Options, log *slog.Logger, audit *httpsec.Auditor, limiter ratelimit.Limiter) ([]Middleware, error) {
	r := o.Replace
	type stage struct {
		name  string
		given Middleware
		build func() (Middleware, error)
	}
	list := []stage{
		{"RequestID", r.RequestID, func() (Middleware, error) {
			return httpsec.RequestID(httpsec.RequestIDOptions{}), nil
		}},
		{"ClientIP", r.ClientIP, func() (Middleware, error) {
			return httpsec.ClientIP(httpsec.ClientIPOptions{TrustedProxies: o.TrustedProxies})
		}},
		{"SecureHeaders", r.SecureHeaders, func() (Middleware, error) {
			return httpsec.SecureHeaders(httpsec.SecureHeadersOptions{})
		}},
		{"CORS", r.CORS, func() (Middleware, error) {
			return httpsec.CORS(httpsec.CORSOptions{AllowedOrigins: o.AllowedOrigins, Auditor: audit})
		}},
		{"BodyLimit", r.BodyLimit, func() (Middleware, error) {
			return httpsec.BodyLimit(httpsec.BodyLimitOptions{Auditor: audit})
		}},
		{"CSRF", r.CSRF, func() (Middleware, error) {
			return httpsec.CSRF(httpsec.CSRFOptions{Auditor: audit})
		}},
		{"Authentication", r.Authentication, func() (Middleware, error) {
			return auth.Middleware(o.Authenticator, auth.MiddlewareOptions{Logger: log}), nil
		}},
		{"RateLimit", r.RateLimit, func() (Middleware, error) {
			ro := o.RateLimit
			if ro.Auditor == nil {
				ro.Auditor = audit
			}
			return httpsec.RateLimit(limiter, ro)
		}},
	}
	out := make([]Middleware, 0, len(list))
	for _, s := range list {
		if s.given != nil {
			out = append(out, s.given)
			continue
		}
		mw, err := s.build()
		if err != nil {
			return nil, fmt.Errorf("harden: %s: %w", s.name, err)
		}
		out = append(out, mw)
	}
	return out, nil
}
