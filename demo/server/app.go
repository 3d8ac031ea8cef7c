package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/apikey"
	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/auth/password"
	"github.com/rampart-go/rampart/auth/refresh"
	"github.com/rampart-go/rampart/demo/graph"
	"github.com/rampart-go/rampart/demo/graph/generated"
	"github.com/rampart-go/rampart/demo/graph/model"
	"github.com/rampart-go/rampart/demo/graph/store"
	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/httpsec"
	"github.com/rampart-go/rampart/mfa"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ssrf"
	"github.com/rampart-go/rampart/upload"
	"github.com/rampart-go/rampart/wssec"
	"github.com/rampart-go/rampart/wssec/gqlws"
)

// JWT issuer and audience of the demo's access tokens.
const (
	jwtIssuer   = "rampart-demo"
	jwtAudience = "rampart-demo-api"
)

// app is the wired demo: store, authentication, GraphQL handler.
type app struct {
	cfg      *config
	log      *slog.Logger
	store    *store.Store
	verifier *jwt.Verifier
	handler  http.Handler
	// policy is the reloadable configuration in force (reload.go): limits,
	// cost, trusted documents; reloader swaps it into the guards.
	policy   atomic.Pointer[policy]
	reloader *gqlsec.Reloader
	reloadMu sync.Mutex // one reload at a time
	// query is the GraphQL endpoint behind CORS and CSRF: the body limit,
	// authentication, the HTTP rate limit and the guarded server, built
	// from the policy in force (buildQuery) and swapped by reload.
	query      atomic.Pointer[http.Handler]
	buildQuery func(*policy) (http.Handler, error)
	shared     *sharedState
	// metrics, when -metrics-addr is set, holds the OpenTelemetry
	// instruments every guard records into (metrics.go).
	metrics *demoMetrics
	// stop cancels the requests and connections still running when the
	// drain timeout ends (and everything at Close).
	stopCtx context.Context
	stop    context.CancelFunc
	// live registers every WebSocket (GraphQL subscriptions and /chat) so
	// that revoked sessions are closed (4403) and shutdown closes them all
	// (1001); sessions publishes and follows revocations.
	live     *wssec.Sessions
	sessions *graph.Sessions
	// listening is closed when the session-event listener has stopped.
	listening chan struct{}
	// rejections counts the guards' audit records for the admin console.
	rejections *rejectionLog
}

func newApp(ctx context.Context, cfg *config, log *slog.Logger) (*app, error) {
	st, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, store: st, rejections: newRejectionLog(nil), live: wssec.NewSessions()}
	a.log = slog.New(auditTap{next: log.Handler(), log: a.rejections})
	p, err := loadPolicy(cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	a.policy.Store(p)
	a.reloader = &gqlsec.Reloader{}
	if cfg.ConfigFile != "" {
		a.log.Info("configuration loaded; SIGHUP reloads it", "config", cfg.ConfigFile, "trusted_documents", p.manifestText())
	}
	a.stopCtx, a.stop = context.WithCancel(context.Background())
	if err := a.wire(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// wire builds the demo: shared state, accounts, the GraphQL server and the
// routes, each step in its own function below.
func (a *app) wire(ctx context.Context) error {
	shared, err := newSharedState(ctx, a.cfg, a.log, a.store)
	if err != nil {
		return err
	}
	a.shared = shared
	if a.metrics, err = newDemoMetrics(a.cfg); err != nil {
		return err
	}
	audit := httpsec.NewAuditor(a.log)
	accounts, authenticator, err := a.wireAccounts(ctx, audit)
	if err != nil {
		return err
	}
	gql, err := a.wireGraphQL(accounts, authenticator, audit)
	if err != nil {
		return err
	}
	return a.wireRoutes(gql, authenticator, audit)
}

// wireAccounts builds authentication: JWTs (revocable), rotating refresh
// tokens, passwords, TOTP, brute-force guards and API keys.
func (a *app) wireAccounts(ctx context.Context, audit *httpsec.Auditor) (*graph.Accounts, auth.Authenticator, error) {
	passwords, err := password.NewHasher(password.Params{})
	if err != nil {
		return nil, nil, err
	}
	jwtCfg := jwt.Config{
		Issuer:      jwtIssuer,
		Audience:    jwtAudience,
		Keys:        []jwt.Key{{ID: "demo-hs256", Algorithm: jwt.AlgHS256, Secret: a.cfg.JWTSecret}},
		Revocations: a.shared.revocations,
	}
	issuer, err := jwt.NewIssuer(jwtCfg)
	if err != nil {
		return nil, nil, err
	}
	if a.verifier, err = jwt.NewVerifier(jwtCfg); err != nil {
		return nil, nil, err
	}
	var refreshStore refresh.Store = a.store.RefreshTokens()
	if a.shared.refresh != nil {
		refreshStore = a.shared.refresh
	}
	tokens, err := refresh.NewTokens(refreshStore, refresh.Options{})
	if err != nil {
		return nil, nil, err
	}
	guard, err := newBruteForceGuard(a.shared.limiter, audit, a.log)
	if err != nil {
		return nil, nil, err
	}
	// TOTP failures count in the shared limiter, so that guesses spread
	// across replicas are throttled together.
	totp, err := mfa.NewTOTP(mfa.Options{Issuer: "Rampart Demo", Limiter: a.shared.limiter, UsedCodes: a.shared.usedCodes, Logger: a.log})
	if err != nil {
		return nil, nil, err
	}
	// TOTP secrets are encrypted at rest under MFA_KEY, or a key derived
	// (HKDF, its own label) from JWT_SECRET.
	mfaKey := a.cfg.MFAKey
	if mfaKey == nil {
		mfaKey = a.cfg.JWTSecret
	}
	secrets, err := graph.NewSecretBox(mfaKey, "mfa-secrets")
	if err != nil {
		return nil, nil, err
	}
	if err := a.seedAdmin(ctx, passwords); err != nil {
		return nil, nil, err
	}
	apiKeys, err := apikey.NewAuthenticator(a.store.APIKeys(), apikey.Options{})
	if err != nil {
		return nil, nil, err
	}
	a.sessions = &graph.Sessions{
		Store: a.store, Bus: a.shared.bus, Live: a.live, Cutoffs: a.shared.cutoffs,
		TokenLifetime: issuer.Lifetime(), RefreshLifetime: refresh.DefaultFamilyLifetime, Logger: a.log,
	}
	accounts := &graph.Accounts{
		Store: a.store, Passwords: passwords, Issuer: issuer, Tokens: tokens,
		Revoker: a.verifier, Guard: guard, TOTP: totp, Secrets: secrets, Logger: a.log,
		Sessions: a.sessions, RefreshRecords: refreshStore, OnPasswordVerified: a.cfg.passwordVerified,
		OnPasswordChanging: a.cfg.passwordChanging,
	}
	// Every credential is also checked against the live session state:
	// revoked sessions (revokeSessions, refresh reuse) and changed roles
	// are refused over HTTP and at WebSocket upgrades alike.
	authenticator := a.sessions.Authenticator(auth.MultiAuthenticator{
		Bearer: a.verifier,
		APIKey: graph.APIKeyUsage{Next: apiKeys, Touch: a.store.APIKeys().Touch},
	})
	a.listening = make(chan struct{})
	go func() {
		defer close(a.listening)
		_ = a.sessions.Listen(a.stopCtx)
	}()
	return accounts, authenticator, nil
}

// wireGraphQL builds the gqlgen server with the schema's directives, its
// transports (POST, GET, graphql-transport-ws through wssec, multipart
// uploads) and gqlsec's operation guards, then the HTTP chain in front.
func (a *app) wireGraphQL(accounts *graph.Accounts, authenticator auth.Authenticator, audit *httpsec.Auditor) (http.Handler, error) {
	limiter := a.shared.limiter
	uploads, err := upload.New(upload.Config{Logger: a.log, Auditor: audit})
	if err != nil {
		return nil, err
	}
	broker := graph.NewBroker()
	broker.OnSubscribe = a.cfg.subscribed
	resolver := &graph.Resolver{Store: a.store, Accounts: accounts, Broker: broker, Uploads: uploads, Sessions: a.sessions, Logger: a.log}
	dirs, err := graph.NewDirectives(a.store, limiter, &ssrf.Guard{}, a.sessions.Current, a.log)
	if err != nil {
		return nil, err
	}
	es := generated.NewExecutableSchema(generated.Config{
		Resolvers: resolver,
		Directives: generated.DirectiveRoot{
			Auth: dirs.Auth, Owner: dirs.Owner, Constraint: dirs.Constraint,
			Sanitize: dirs.Sanitize, Public: dirs.Public, RateLimit: dirs.RateLimit,
			StepUp: dirs.StepUp,
		},
	})
	// Validate here so that a schema mistake is a startup error, not the
	// panic srv.Use would raise.
	if err := dirs.Validate(es); err != nil {
		return nil, err
	}
	srv := handler.New(es)
	srv.Use(dirs)
	ws, err := gqlws.New(gqlws.Options{Options: wssec.Options{
		OriginPatterns: a.cfg.AllowedOrigins,
		Authenticator:  authenticator,
		Slots:          a.shared.slots,
		CallerLimiter:  limiter,
		Sessions:       a.live,
		Logger:         a.log,
		Telemetry:      a.instruments(),
	}})
	if err != nil {
		return nil, err
	}
	srv.AddTransport(ws.Websocket())
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.AddTransport(uploads.Transport())

	guarded, err := gqlsec.Handler(srv, a.gqlsecConfig(limiter, a.policy.Load()))
	if err != nil {
		return nil, err
	}
	authn := auth.Middleware(authenticator, auth.MiddlewareOptions{Logger: a.log})
	return a.guardQuery(guarded, authn, limiter, audit, uploads)
}

// wireRoutes mounts the endpoints behind the outer chain.
func (a *app) wireRoutes(query http.Handler, authenticator auth.Authenticator, audit *httpsec.Auditor) error {
	outer, err := a.outerChain()
	if err != nil {
		return err
	}
	// Images are public: a rate limit by client IP, in its own buckets, keeps
	// them from being a free bandwidth amplifier.
	imageLimit, err := httpsec.RateLimit(a.shared.limiter, httpsec.RateLimitOptions{
		Anonymous: ratelimit.PerMinute(300), Authenticated: ratelimit.PerMinute(300),
		KeyPrefix: "img:", Auditor: audit, Telemetry: a.instruments(),
	})
	if err != nil {
		return err
	}
	chatUp, err := wssec.New(wssec.Options{
		OriginPatterns: a.cfg.AllowedOrigins,
		// A page authenticates with new WebSocket(url, ["chat",
		// "bearer." + token]); "chat" is the subprotocol echoed back.
		Subprotocols:  []string{chatSubprotocol},
		Authenticator: authenticator,
		Slots:         a.shared.slots,
		CallerLimiter: a.shared.limiter,
		Logger:        a.log,
		Sessions:      a.live,
		Telemetry:     a.instruments(),
	})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	if a.cfg.holdQuery != nil {
		query = holdQuery(a.cfg.holdQuery, query)
	}
	mux.Handle("/query", query)
	mux.Handle("GET /images/{post}", imageLimit(http.HandlerFunc(a.serveImage)))
	mux.Handle("GET /chat", newChatRoom(a.log).handler(chatUp))
	console := &adminConsole{feed: a.rejections, sessions: a.live, verifier: a.verifier, store: a.store, audit: audit,
		revokeAll: func(ctx context.Context, subject string) error {
			return a.sessions.RevokeSubject(ctx, subject, graph.CauseRevoked)
		},
		log: a.log, budget: a.shared.limiter, budgetRate: func() ratelimit.Rate { return a.policy.Load().budget }, now: time.Now}
	if err := console.mount(mux); err != nil {
		return err
	}
	if len(a.cfg.WebhookSecrets) > 0 {
		hook, err := moderationWebhook(a.cfg.WebhookSecrets, a.shared.webhookReplays, a.log)
		if err != nil {
			return fmt.Errorf("WEBHOOK_SECRETS: %w", err)
		}
		mux.Handle("POST /webhooks/moderation", hook)
	}
	a.handler = outer(mux)
	return nil
}

//go:embed trusted-documents.json
var demoManifest []byte

// gqlsecConfig is the demo's operation policy p: its limits (admins get
// deeper queries), a cost limit with a per-caller budget reported in
// extensions.cost, introspection and suggestions for admins only, and,
// when p has a manifest (in production by default), a trusted-documents
// allowlist that admins may bypass. It is built at start and again at
// each reload, for a.reloader.
func (a *app) gqlsecConfig(limiter ratelimit.Limiter, p *policy) gqlsec.Config {
	isAdmin := gqlsec.AllowRoles(string(model.RoleAdmin))
	users, admins := p.limits, p.adminLimits
	cfg := gqlsec.Config{
		Limits: gqlsec.OperationLimits{
			For: func(p *auth.Principal) gqlsec.OperationLimits {
				if isAdmin(p) {
					return admins
				}
				return users
			},
		},
		Cost: gqlsec.CostLimit{
			Max:        p.maxCost,
			ReportCost: true,
			Budget:     limiter,
			BudgetRate: p.budget,
			ActualCost: true,
		},
		Introspection: isAdmin,
		Logger:        a.log,
		Telemetry:     a.instruments(),
		Reloader:      a.reloader,
	}
	if p.docs != nil {
		cfg.TrustedDocuments = &gqlsec.TrustedDocuments{Store: p.docs, AllowArbitrary: isAdmin, Logger: a.log}
	}
	return cfg
}

// serveImage serves a post's image with the type sniffed at upload, never
// one a client chose; SecureHeaders adds nosniff and a CSP that runs no
// script even if a polyglot file were opened directly.
func (a *app) serveImage(w http.ResponseWriter, r *http.Request) {
	img, err := a.store.PostImage(r.Context(), r.PathValue("post"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", img.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": img.Filename}))
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	_, _ = w.Write(img.Data)
}

// outerChain runs on every request: a request id, the client address
// (X-Forwarded-For believed only from -trusted-proxies) and security headers.
func (a *app) outerChain() (func(http.Handler) http.Handler, error) {
	clientIP, err := httpsec.ClientIP(httpsec.ClientIPOptions{TrustedProxies: a.cfg.TrustedProxies})
	if err != nil {
		return nil, fmt.Errorf("-trusted-proxies: %w", err)
	}
	// HSTS is only ever sent on requests that came over TLS (directly or
	// through a trusted proxy); in production it is always on.
	headers, err := httpsec.SecureHeaders(httpsec.SecureHeadersOptions{HSTS: a.cfg.serveTLS() || a.cfg.Env == envProduction})
	if err != nil {
		return nil, err
	}
	mw := []func(http.Handler) http.Handler{httpsec.RequestID(httpsec.RequestIDOptions{}), clientIP, headers}
	if a.cfg.Env == envProduction {
		// Plain HTTP is refused unless a trusted proxy says the client used
		// HTTPS; health probes stay reachable.
		mw = append(mw, httpsec.RequireTLS(httpsec.RequireTLSOptions{ExemptPaths: []string{"/healthz"}, Auditor: httpsec.NewAuditor(a.log), Telemetry: a.instruments()}))
	}
	return chain(mw...), nil
}

// guardQuery wraps the GraphQL endpoint: CORS from -allowed-origins, CSRF
// prevention, then what the policy in force sets and a reload swaps: the
// body (or upload) limit, authentication, the rate limit by caller.
func (a *app) guardQuery(gql http.Handler, authn func(http.Handler) http.Handler, limiter ratelimit.Limiter, audit *httpsec.Auditor, uploads *upload.Guard) (http.Handler, error) {
	cors, err := httpsec.CORS(httpsec.CORSOptions{AllowedOrigins: a.cfg.AllowedOrigins, Auditor: audit})
	if err != nil {
		return nil, fmt.Errorf("-allowed-origins: %w", err)
	}
	csrf, err := httpsec.CSRF(httpsec.CSRFOptions{Auditor: audit, Telemetry: a.instruments()})
	if err != nil {
		return nil, err
	}
	a.buildQuery = func(p *policy) (http.Handler, error) {
		body, err := httpsec.BodyLimit(httpsec.BodyLimitOptions{MaxBytes: p.bodyBytes, Auditor: audit, Telemetry: a.instruments()})
		if err != nil {
			return nil, err
		}
		rl, err := httpsec.RateLimit(limiter, httpsec.RateLimitOptions{
			Anonymous:     p.rates.anonymous,
			Authenticated: p.rates.authenticated,
			Roles:         map[string]ratelimit.Rate{string(model.RoleAdmin): p.rates.admin},
			Auditor:       audit,
			Telemetry:     a.instruments(),
		})
		if err != nil {
			return nil, err
		}
		// Multipart requests get the upload limits instead of the body limit.
		return chain(uploads.Split(body), authn, rl, resolverStatus)(gql), nil
	}
	inner, err := a.buildQuery(a.policy.Load())
	if err != nil {
		return nil, err
	}
	a.query.Store(&inner)
	// CSRF comes first: a multipart upload is a "simple" request a browser
	// may send cross-site, so it needs the preflight header before a single
	// byte of it is read.
	return chain(cors, csrf)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*a.query.Load()).ServeHTTP(w, r)
	})), nil
}

// chain applies middleware so that the first one runs first.
func chain(mw ...func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		for i := len(mw) - 1; i >= 0; i-- {
			h = mw[i](h)
		}
		return h
	}
}

// newBruteForceGuard limits failed logins to 5 per account and 20 per client
// IP in 15 minutes, registrations to 20 per IP in 10 minutes, and failed
// refreshes to 20 per IP in 15 minutes.
func newBruteForceGuard(l ratelimit.Limiter, audit *httpsec.Auditor, log *slog.Logger) (*graph.BruteForceGuard, error) {
	perAccount, err := ratelimit.NewLockout(l, ratelimit.LockoutOptions{MaxFailures: 5, Window: 15 * time.Minute})
	if err != nil {
		return nil, err
	}
	perIP, err := ratelimit.NewLockout(l, ratelimit.LockoutOptions{MaxFailures: 20, Window: 15 * time.Minute})
	if err != nil {
		return nil, err
	}
	return &graph.BruteForceGuard{PerIP: perIP, PerAccount: perAccount, Auditor: audit, Logger: log}, nil
}

// seedAdmin creates (or promotes) the admin named by DEMO_ADMIN_EMAIL and
// DEMO_ADMIN_PASSWORD. Without them there is no admin: no default
// credentials exist.
func (a *app) seedAdmin(ctx context.Context, passwords *password.Hasher) error {
	if a.cfg.AdminEmail == "" {
		return nil
	}
	if err := password.CheckPolicy(a.cfg.AdminPassword, a.cfg.AdminEmail); err != nil {
		return fmt.Errorf("DEMO_ADMIN_PASSWORD: %w", err)
	}
	u, err := a.store.UserByEmail(ctx, a.cfg.AdminEmail)
	switch {
	case errors.Is(err, store.ErrNotFound):
		hash, err := passwords.Hash(a.cfg.AdminPassword)
		if err != nil {
			return err
		}
		if _, err := a.store.CreateUser(ctx, a.cfg.AdminEmail, "Admin", hash, model.RoleAdmin); err != nil {
			return fmt.Errorf("seed admin: %w", err)
		}
		a.log.Info("seeded admin account from DEMO_ADMIN_EMAIL")
	case err != nil:
		return fmt.Errorf("seed admin: %w", err)
	case u.Role != model.RoleAdmin:
		if _, err := a.store.SetUserRole(ctx, u.ID, model.RoleAdmin); err != nil {
			return fmt.Errorf("seed admin: %w", err)
		}
		a.log.Info("promoted the DEMO_ADMIN_EMAIL account to admin")
	}
	return nil
}

// httpServer returns the demo's http.Server with time limits that drop
// slow-loris clients.
func (a *app) httpServer() *http.Server {
	return httpsec.HardenServer(&http.Server{
		Handler: a.handler,
		// Every connection's context, and so every request's, ends with
		// the app's stop signal, which fires only when the drain timeout
		// ends (or at Close): http.Server.Shutdown never cancels a request
		// itself, and does not track hijacked (WebSocket) connections. A
		// request still running then is cancelled; one that finishes
		// within the drain timeout never sees its context end. (Set once
		// here rather than per request, which cost a context, a request
		// copy and two locks of the shared stop context per request.)
		BaseContext:    func(net.Listener) context.Context { return a.stopCtx },
		ReadTimeout:    15 * time.Second,
		WriteTimeout:   30 * time.Second,
		IdleTimeout:    60 * time.Second,
		MaxHeaderBytes: 16 << 10,
		ErrorLog:       slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	})
}

// beginShutdown cancels every request and connection still running at
// once (tests that stop a server without draining it).
func (a *app) beginShutdown() { a.stop() }

// shutdown drains srv within timeout: it stops accepting, waits for
// in-flight HTTP requests, and closes every WebSocket with 1001 (each
// client reconnects, to another replica) at the same time. What is left
// when timeout ends is cancelled and its connections are closed; the error
// then says what did not drain.
func (a *app) shutdown(srv *http.Server, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	wsDone := make(chan error, 1)
	go func() { wsDone <- a.live.Shutdown(ctx) }()
	httpErr := srv.Shutdown(ctx)
	wsErr := <-wsDone
	if httpErr == nil && wsErr == nil {
		return nil
	}
	// The drain timeout has passed: cancel what is left, then close its
	// connections.
	a.stop()
	_ = srv.Close()
	var errs []error
	if httpErr != nil {
		errs = append(errs, fmt.Errorf("HTTP requests still running after %v: %w", timeout, httpErr))
	}
	if wsErr != nil {
		errs = append(errs, fmt.Errorf("WebSockets still open after %v: %w", timeout, wsErr))
	}
	return errors.Join(errs...)
}

// Close stops the session-event listener and releases Redis and the
// database.
func (a *app) Close() error {
	a.stop()
	if a.listening != nil {
		<-a.listening
	}
	if a.shared != nil {
		a.shared.Close()
	}
	a.metrics.close()
	return a.store.Close()
}
