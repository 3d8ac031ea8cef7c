package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/demo/graph/model"
	"github.com/rampart-go/rampart/demo/graph/store"
	"github.com/rampart-go/rampart/directives"
	"github.com/rampart-go/rampart/httpsec"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/wssec"
)

// The admin console: GET /admin serves a static page (admin/index.html,
// admin.js, admin.css, embedded; no build step), which signs in through the
// login mutation and keeps the access token in a JavaScript variable only.
// It reads its live view from /admin/live, a wssec endpoint authenticated
// with new WebSocket(url, ["admin-live", "bearer." + token]), same origin
// only, ADMIN only; and revokes with POST /admin/revoke (Authorization:
// Bearer, JSON body, ADMIN with a fresh second factor).
//
// No cookie is involved anywhere: the browser attaches no credential on its
// own, so a cross-site request (form, fetch, WebSocket) carries none, and
// the endpoints refuse it on top of that (Origin, Content-Type, CORS).

//go:embed admin
var adminFiles embed.FS

// adminSubprotocol is the application subprotocol /admin/live negotiates.
const adminSubprotocol = "admin-live"

// adminCSP is the console page's Content-Security-Policy: scripts, styles
// and connections from the demo's own origin only, no inline script or
// style, no framing, no <base>, forms posting only to the origin.
const adminCSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

// Intervals of the live view: a snapshot at least every adminRefresh (live
// sessions have no change signal), at most one every adminMinGap (a flood
// of rejections does not become a flood of snapshots).
const (
	adminRefresh = time.Second
	adminMinGap  = 200 * time.Millisecond
)

// maxAdminSubjects bounds the users listed in one snapshot.
const maxAdminSubjects = 200

// adminConsole serves the console's routes.
type adminConsole struct {
	feed     rejectionFeed
	sessions *wssec.Sessions
	// revokeAll, when set, revokes every session of a subject on every
	// replica (revokeSessions' path: a cutoff in the shared store and a
	// session event on the bus).
	revokeAll func(ctx context.Context, subject string) error
	verifier  *jwt.Verifier
	store     *store.Store
	audit     *httpsec.Auditor
	log       *slog.Logger
	// budget and budgetRate (which returns the rate in force) are the
	// cost budget gqlsec.CostLimit debits, peeked (n = 0) read-only for the budget table; budget also holds
	// the rate limit of POST /admin/revoke.
	budget     ratelimit.Limiter
	budgetRate func() ratelimit.Rate
	now        func() time.Time
	live       *wssec.Upgrader
}

// mount adds the console's routes to mux.
func (c *adminConsole) mount(mux *http.ServeMux) error {
	live, err := wssec.New(wssec.Options{
		// No OriginPatterns: only the demo's own origin (and non-browser
		// clients, which carry no ambient credential) may connect, whatever
		// ALLOWED_ORIGINS says.
		Subprotocols:  []string{adminSubprotocol},
		Authenticator: auth.AuthenticatorFunc(c.authenticateAdmin),
		Sessions:      c.sessions,
		Logger:        c.log,
	})
	if err != nil {
		return err
	}
	c.live = live
	// Revocations are few: 30 a minute per client address is plenty for an
	// operator and keeps a flood from costing a token check per request.
	limit, err := httpsec.RateLimit(c.budget, httpsec.RateLimitOptions{
		Anonymous: ratelimit.PerMinute(30), Authenticated: ratelimit.PerMinute(30), KeyPrefix: "admin:", Auditor: c.audit,
	})
	if err != nil {
		return err
	}
	mux.HandleFunc("GET /admin", c.servePage)
	mux.HandleFunc("GET /admin/{$}", c.servePage)
	mux.HandleFunc("GET /admin/static/{file}", c.serveStatic)
	mux.Handle("GET /admin/live", live.Handler(c.serveLive))
	mux.Handle("POST /admin/revoke", limit(http.HandlerFunc(c.serveRevoke)))
	return nil
}

// authenticateAdmin accepts a JWT (never an API key) of a user who is an
// ADMIN in the token and still one in the database (a demoted admin's
// unexpired token is refused).
func (c *adminConsole) authenticateAdmin(ctx context.Context, cred auth.Credential) (*auth.Principal, error) {
	if cred.Kind != auth.CredentialBearer {
		return nil, fmt.Errorf("%w: the console takes a bearer token", auth.ErrInvalidToken)
	}
	p, err := c.verifier.Authenticate(ctx, cred)
	if err != nil {
		return nil, err
	}
	if !p.HasRole(string(model.RoleAdmin)) {
		return nil, fmt.Errorf("%w: not an admin", auth.ErrInvalidToken)
	}
	u, err := c.store.UserByID(ctx, p.Subject)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("%w: unknown user", auth.ErrInvalidToken)
		}
		return nil, fmt.Errorf("%w: %w", auth.ErrUnavailable, err)
	}
	if u.Role != model.RoleAdmin {
		return nil, fmt.Errorf("%w: no longer an admin", auth.ErrInvalidToken)
	}
	return p, nil
}

// pageHeaders are the console's response headers on top of SecureHeaders'.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", adminCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

func (c *adminConsole) servePage(w http.ResponseWriter, r *http.Request) {
	page, err := adminFiles.ReadFile("admin/index.html")
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	pageHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(page)
}

// serveStatic serves admin.js and admin.css: only names listed here.
func (c *adminConsole) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	var typ string
	switch name {
	case "admin.js":
		typ = "text/javascript; charset=utf-8"
	case "admin.css":
		typ = "text/css; charset=utf-8"
	default:
		http.NotFound(w, r)
		return
	}
	b, err := adminFiles.ReadFile("admin/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	pageHeaders(w)
	w.Header().Set("Content-Type", typ)
	_, _ = w.Write(b)
}

// adminSnapshot is one message of /admin/live.
type adminSnapshot struct {
	Now        time.Time         `json:"now"`
	Rejections rejectionSnapshot `json:"rejections"`
	Sessions   []adminUser       `json:"sessions"`
	Budget     adminBudget       `json:"budget"`
}

// adminUser is one user's live sockets.
type adminUser struct {
	Subject     string      `json:"subject"`
	Name        string      `json:"name"`
	Role        string      `json:"role"`
	Since       time.Time   `json:"since"`
	Connections []adminConn `json:"connections"`
}

// adminConn is one live socket.
type adminConn struct {
	Since       time.Time `json:"since"`
	Subprotocol string    `json:"subprotocol"`
	RemoteIP    string    `json:"remoteIp"`
}

// adminBudget is the cost budget: its configuration and, per caller the
// console knows of, what is left (a read-only peek at the bucket).
type adminBudget struct {
	Points        int            `json:"points"`
	PeriodSeconds float64        `json:"periodSeconds"`
	RestoreRate   float64        `json:"restoreRate"`
	Callers       []adminCallers `json:"callers"`
}

// adminCallers is one caller's budget state.
type adminCallers struct {
	Class     string `json:"class"`
	Subject   string `json:"subject"`
	Available int    `json:"available"`
	Error     string `json:"error,omitempty"`
}

// snapshot assembles what the console shows now; self is the console's
// own caller, whose budget is always listed.
func (c *adminConsole) snapshot(ctx context.Context, self *auth.Principal) adminSnapshot {
	s := adminSnapshot{Now: c.now().UTC(), Rejections: c.feed.Rejections(), Sessions: []adminUser{}}
	bySubject := map[string]*adminUser{}
	for _, info := range c.sessions.List() {
		subject := info.Subject
		if subject == "" {
			subject = "anonymous"
		}
		u := bySubject[subject]
		if u == nil {
			if len(bySubject) >= maxAdminSubjects {
				continue
			}
			u = &adminUser{Subject: subject, Since: info.Since.UTC(), Role: strings.Join(info.Roles, ",")}
			bySubject[subject] = u
		}
		u.Connections = append(u.Connections, adminConn{Since: info.Since.UTC(), Subprotocol: info.Subprotocol, RemoteIP: info.RemoteIP})
	}
	for _, u := range bySubject {
		if m, err := c.store.UserByID(ctx, u.Subject); err == nil {
			u.Name, u.Role = m.Name, string(m.Role)
		}
		s.Sessions = append(s.Sessions, *u)
	}
	sort.Slice(s.Sessions, func(i, j int) bool { return s.Sessions[i].Since.Before(s.Sessions[j].Since) })

	r := c.budgetRate()
	s.Budget = adminBudget{Points: r.Capacity(), PeriodSeconds: r.Period.Seconds(), RestoreRate: float64(r.Limit) / r.Period.Seconds(), Callers: []adminCallers{}}
	seen := map[string]bool{}
	peek := func(subject, class string) {
		if seen[subject] || subject == "" || subject == "anonymous" {
			return
		}
		seen[subject] = true
		row := adminCallers{Class: class, Subject: subject}
		// n = 0 is a peek: it spends nothing (ratelimit.Limiter).
		d, err := c.budget.Allow(ctx, costBudgetKey(subject), r, 0)
		if err != nil {
			row.Error = "budget backend unavailable"
		} else {
			row.Available = d.Remaining
		}
		s.Budget.Callers = append(s.Budget.Callers, row)
	}
	if self != nil {
		peek(self.Subject, string(model.RoleAdmin))
	}
	for _, u := range s.Sessions {
		peek(u.Subject, u.Role)
	}
	for _, ev := range s.Rejections.Latest {
		peek(ev.Subject, "")
	}
	return s
}

// costBudgetKey is gqlsec.CostLimit's default bucket key of an
// authenticated caller (anonymous callers have one per client IP, which
// the console does not list). TestAdminBudgetPeek pins the two together.
func costBudgetKey(subject string) string { return "cost:sub:" + subject }

// serveLive pushes a snapshot at once, on every rejection, and every
// adminRefresh, until the connection ends. Anything the page sends is read
// and dropped (the page sends nothing; reading keeps control frames and
// the close handshake flowing).
func (c *adminConsole) serveLive(ctx context.Context, conn *wssec.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer cancel()
		for {
			if _, _, err := conn.Read(ctx); err != nil {
				return
			}
		}
	}()
	tick := time.NewTicker(adminRefresh)
	defer tick.Stop()
	gap := time.NewTimer(0)
	defer gap.Stop()
	for {
		changed := c.feed.Changed()
		msg, err := json.Marshal(c.snapshot(ctx, conn.Principal()))
		if err != nil {
			return
		}
		if err := conn.Write(ctx, websocket.MessageText, msg); err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-tick.C:
		}
		gap.Reset(adminMinGap)
		select {
		case <-ctx.Done():
			return
		case <-gap.C:
		}
	}
}

// maxRevokeBody bounds a revocation request's body.
const maxRevokeBody = 1 << 10

// revokeRequest is the body of POST /admin/revoke.
type revokeRequest struct {
	Subject string `json:"subject"`
}

// revokeResponse says what a revocation did.
type revokeResponse struct {
	Subject       string `json:"subject"`
	Closed        int    `json:"closed"`
	RevokedTokens int    `json:"revokedTokens"`
}

// serveRevoke closes every live socket of a user with 4403 and revokes the
// access tokens those sockets were opened with, so that they cannot simply
// reconnect. The caller must send Authorization: Bearer with an ADMIN
// token carrying a second factor no older than
// directives.DefaultStepUpMaxAge (the rule of @stepUp), a JSON body, and,
// if it sends Origin, the demo's own.
func (c *adminConsole) serveRevoke(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Values("Origin"); len(origin) > 0 && !wssec.OriginAllowed(origin, r.Host, nil) {
		c.refuse(w, r, httpsec.CodeCSRFRejected, http.StatusForbidden, "cross-origin request")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		c.refuse(w, r, httpsec.CodeCSRFRejected, http.StatusUnsupportedMediaType, "content type is not application/json")
		return
	}
	cred, err := wssec.CredentialFromHeader(r.Header)
	if err != nil || cred.Kind != auth.CredentialBearer {
		w.Header().Set("WWW-Authenticate", "Bearer")
		c.refuse(w, r, rampart.CodeUnauthenticated, http.StatusUnauthorized, "no bearer token")
		return
	}
	p, err := c.authenticateAdmin(r.Context(), cred)
	switch {
	case errors.Is(err, auth.ErrUnavailable):
		c.refuse(w, r, rampart.CodeInternal, http.StatusServiceUnavailable, "credential check unavailable")
		return
	case err != nil:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		c.refuse(w, r, rampart.CodeUnauthenticated, http.StatusUnauthorized, "not an admin token")
		return
	}
	if !steppedUp(p, c.now()) {
		c.refuseAs(w, r, p, rampart.CodeMFARequired, http.StatusForbidden, "no fresh second factor")
		return
	}
	var req revokeRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRevokeBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Subject == "" || len(req.Subject) > 64 {
		c.refuseAs(w, r, p, rampart.CodeBadUserInput, http.StatusBadRequest, "body must be {\"subject\": id}")
		return
	}
	var tokens []*auth.Principal
	closed := c.sessions.CloseWhere(wssec.CloseForbidden, "session revoked by an administrator", wssec.ErrSessionRevoked, func(q *auth.Principal) bool {
		if q == nil || q.Subject != req.Subject {
			return false
		}
		if q.Method == auth.MethodJWT && q.TokenID != "" {
			tokens = append(tokens, q)
		}
		return true
	})
	revoked, seen := 0, map[string]bool{}
	for _, q := range tokens {
		if seen[q.TokenID] {
			continue
		}
		seen[q.TokenID] = true
		if err := c.verifier.Revoke(r.Context(), q); err != nil {
			c.log.ErrorContext(r.Context(), "admin: revoking a token failed", "subject", req.Subject, "err", err)
			continue
		}
		revoked++
	}
	if c.revokeAll != nil {
		if err := c.revokeAll(r.Context(), req.Subject); err != nil {
			c.log.ErrorContext(r.Context(), "admin: revoking the user's sessions on every replica failed", "subject", req.Subject, "err", err)
			c.refuseAs(w, r, p, rampart.CodeInternal, http.StatusServiceUnavailable, "revocation store unavailable")
			return
		}
	}
	c.log.InfoContext(r.Context(), "admin: sessions revoked", "admin", p.Subject, "subject", req.Subject, "closed", closed, "revoked_tokens", revoked)
	writeJSON(w, http.StatusOK, revokeResponse{Subject: req.Subject, Closed: closed, RevokedTokens: revoked})
}

// steppedUp is @stepUp's rule without a maxAge: p presented "otp" or "mfa"
// no longer than directives.DefaultStepUpMaxAge ago (30 s of clock skew
// tolerated).
func steppedUp(p *auth.Principal, now time.Time) bool {
	if p.AuthTime.IsZero() {
		return false
	}
	second := false
	for _, m := range directives.DefaultStepUpMethods() {
		second = second || p.HasAMR(m)
	}
	age := now.Sub(p.AuthTime)
	return second && age >= -30*time.Second && age <= directives.DefaultStepUpMaxAge
}

// refuse audits a refusal of an unauthenticated request and answers
// {"code": code}.
func (c *adminConsole) refuse(w http.ResponseWriter, r *http.Request, code string, status int, detail string) {
	c.audit.RejectRequest(r, code, status, detail)
	writeJSON(w, status, map[string]string{"code": code})
}

// refuseAs is refuse for an authenticated admin: the audit record names p.
func (c *adminConsole) refuseAs(w http.ResponseWriter, r *http.Request, p *auth.Principal, code string, status int, detail string) {
	c.refuse(w, r.WithContext(auth.WithPrincipal(r.Context(), p)), code, status, detail)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
