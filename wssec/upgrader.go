package wssec

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/reqctx"
	"github.com/rampart-go/rampart/telemetry"
)

// bearerProtocolPrefix marks a Sec-WebSocket-Protocol value that carries a
// bearer token: "bearer.<token>".
const bearerProtocolPrefix = "bearer."

// Upgrader checks WebSocket upgrade requests and returns guarded
// connections. Build it with New; it is safe for concurrent use.
type Upgrader struct {
	o Options
}

// New validates o, fills in its defaults and returns an Upgrader. A
// misconfiguration is an error wrapping rampart.ErrConfig.
func New(o Options) (*Upgrader, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Upgrader{o: o}, nil
}

// AcceptOptions adjusts one Accept call; adapters such as wssec/gqlws use it.
type AcceptOptions struct {
	// Subprotocols are negotiated in addition to Options.Subprotocols.
	Subprotocols []string
	// RequireSubprotocol refuses (400) a client that offers none of the
	// subprotocols.
	RequireSubprotocol bool
	// ResponseHeader is added to the 101 response.
	ResponseHeader http.Header
	// RequireInit arms the init timer even when the handshake authenticated
	// the caller: the application must call Conn.Authenticate (with a zero
	// Credential when the message carries none) within InitTimeout or the
	// connection is closed with 4408. Protocols whose first message must
	// always be an init message need this.
	RequireInit bool
}

// Accept checks the upgrade request r and, if every check passes, upgrades
// it. In order: the Origin (403), the subprotocol (400: a required one
// missing, or a "bearer.<token>" offered without an application subprotocol
// of Options.Subprotocols next to it, CodeAppSubprotocolRequired), the
// per-IP cap (429), the credential (401,
// with WWW-Authenticate: Bearer), the per-caller cap (429); a cap backend
// failure answers 503. The refusal is written to w with a stable code in the
// body and returned as an error wrapping the matching sentinel. Like
// websocket.Accept, call Close or CloseNow on the returned Conn when done.
func (u *Upgrader) Accept(w http.ResponseWriter, r *http.Request) (*Conn, error) {
	return u.AcceptWith(w, r, AcceptOptions{})
}

// AcceptWith is Accept with per-call options.
func (u *Upgrader) AcceptWith(w http.ResponseWriter, r *http.Request, ao AcceptOptions) (c *Conn, err error) {
	o := &u.o
	log := o.Logger.With("remote", r.RemoteAddr)
	if !u.originAllowed(r) {
		log.InfoContext(r.Context(), "wssec: origin refused", "origin", r.Header.Get("Origin"), "host", r.Host)
		o.Telemetry.Reject(r.Context(), telemetry.GuardWebSocket, CodeOriginNotAllowed, rampart.Enforce)
		http.Error(w, CodeOriginNotAllowed, http.StatusForbidden)
		return nil, fmt.Errorf("%w: %q", ErrOriginNotAllowed, r.Header.Get("Origin"))
	}
	protos := appSubprotocols(o.Subprotocols, ao.Subprotocols)
	selected := selectSubprotocol(r, protos)
	if ao.RequireSubprotocol && selected == "" {
		http.Error(w, CodeSubprotocolRequired, http.StatusBadRequest)
		return nil, ErrSubprotocolRequired
	}
	if selected == "" && offersBearerSubprotocol(r) {
		// A browser fails a 101 that does not echo one of the subprotocols
		// it offered, and the only one offered here carries the token:
		// echoing it would copy the credential into the response. Refuse
		// before the upgrade, with a code that says what to fix. The offered
		// values are not logged: one of them is a credential.
		log.InfoContext(r.Context(), "wssec: bearer subprotocol without an application subprotocol", "serves", protos)
		http.Error(w, CodeAppSubprotocolRequired, http.StatusBadRequest)
		return nil, fmt.Errorf("%w: bearer.<token> must be offered next to one of %q", ErrSubprotocolRequired, protos)
	}

	var releases []func()
	defer func() {
		if err != nil {
			for _, rel := range releases {
				rel()
			}
		}
	}()
	ip := clientIP(r)
	if rel, err := u.acquire(r.Context(), "ws:conn:ip:"+ip, o.MaxConnsPerIP); err != nil {
		u.refuseCap(w, r, err)
		return nil, err
	} else if rel != nil {
		releases = append(releases, rel)
	}

	cred, err := credentialFromRequest(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", "Bearer")
		http.Error(w, rampart.CodeUnauthenticated, http.StatusUnauthorized)
		return nil, err
	}
	var p *auth.Principal
	switch {
	case cred.Value != "":
		p, err = u.authenticate(r.Context(), cred)
		if err != nil {
			log.InfoContext(r.Context(), "wssec: handshake credential refused", "err", err)
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, rampart.CodeUnauthenticated, http.StatusUnauthorized)
			return nil, err
		}
		rel, err := u.acquire(r.Context(), callerKey(p), o.MaxConnsPerCaller)
		if err != nil {
			u.refuseCap(w, r, err)
			return nil, err
		}
		if rel != nil {
			releases = append(releases, rel)
		}
	case o.DeferAuth || o.AllowAnonymous:
	default:
		w.Header().Set("WWW-Authenticate", "Bearer")
		http.Error(w, rampart.CodeUnauthenticated, http.StatusUnauthorized)
		return nil, fmt.Errorf("%w: %w", ErrUnauthenticated, auth.ErrNoCredential)
	}

	for k, vs := range ao.ResponseHeader {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	c = newConn(u, r.Context(), ip, p, releases)
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols: protos,
		// The origin was checked above with the same rules; coder's own
		// check would only repeat it.
		InsecureSkipVerify: true,
		OnPingReceived: func(context.Context, []byte) bool {
			c.touch()
			return true
		},
		OnPongReceived: func(context.Context, []byte) { c.touch() },
	})
	if err != nil {
		c.cancel()
		return nil, fmt.Errorf("wssec: %w", err)
	}
	c.start(ws, ao.RequireInit || cred.Value == "" && o.DeferAuth && !o.AllowAnonymous)
	return c, nil
}

// Handler returns an http.Handler that accepts each request with Accept and
// runs fn with the connection's context (cancelled when the connection ends,
// carrying the Principal) and the connection. The connection is closed
// normally when fn returns, if it is still open.
func (u *Upgrader) Handler(fn func(ctx context.Context, c *Conn)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := u.Accept(w, r)
		if err != nil {
			return
		}
		defer c.CloseNow()
		fn(c.Context(), c)
		_ = c.Close(websocket.StatusNormalClosure, "")
	})
}

func (u *Upgrader) authenticate(ctx context.Context, cred auth.Credential) (*auth.Principal, error) {
	if u.o.Authenticator == nil {
		return nil, fmt.Errorf("%w: no Authenticator configured", ErrUnauthenticated)
	}
	p, err := u.o.Authenticator.Authenticate(ctx, cred)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	if p == nil || p.Anonymous() {
		return nil, fmt.Errorf("%w: %w", ErrUnauthenticated, auth.ErrInvalidToken)
	}
	if p.ExpiredAt(u.o.Now()) {
		return nil, fmt.Errorf("%w: %w", ErrUnauthenticated, auth.ErrExpired)
	}
	return p, nil
}

// acquire takes a slot for key; a nil release with a nil error means the
// cap is off.
func (u *Upgrader) acquire(ctx context.Context, key string, max int) (func(), error) {
	if max == rampart.Unlimited || u.o.LimitsMode == rampart.Off {
		return nil, nil
	}
	rel, err := u.o.Slots.Acquire(ctx, key, max)
	switch {
	case err == nil:
		return rel, nil
	case errors.Is(err, ratelimit.ErrNoSlot) && u.o.LimitsMode == rampart.Measure:
		u.o.Telemetry.Reject(ctx, telemetry.GuardWebSocket, CodeTooManyConnections, rampart.Measure)
		u.o.Logger.InfoContext(ctx, "wssec: connection cap exceeded (measure mode: let through)", "key", key, "max", max)
		return nil, nil
	case errors.Is(err, ratelimit.ErrNoSlot):
		return nil, fmt.Errorf("%w: %s over %d", ErrTooManyConnections, key, max)
	default:
		return nil, fmt.Errorf("%w: %w", ErrBackend, err)
	}
}

func (u *Upgrader) refuseCap(w http.ResponseWriter, r *http.Request, err error) {
	u.o.Logger.InfoContext(r.Context(), "wssec: upgrade refused", "err", err)
	if errors.Is(err, ErrTooManyConnections) {
		u.o.Telemetry.Reject(r.Context(), telemetry.GuardWebSocket, CodeTooManyConnections, rampart.Enforce)
		w.Header().Set("Retry-After", strconv.Itoa(1))
		http.Error(w, CodeTooManyConnections, http.StatusTooManyRequests)
		return
	}
	// The cap's backend failed: the refusal is about the server, not the
	// caller, so a client may retry soon (RFC 9110 §10.2.3).
	w.Header().Set("Retry-After", strconv.Itoa(1))
	http.Error(w, CodeUnavailable, http.StatusServiceUnavailable)
}

func (u *Upgrader) newMessageLimiter() *rate.Limiter {
	r := u.o.MessageRate
	if r.Limit == rampart.Unlimited {
		return nil
	}
	return rate.NewLimiter(rate.Limit(float64(r.Limit)/r.Period.Seconds()), r.Burst)
}

func callerKey(p *auth.Principal) string { return "ws:conn:sub:" + p.Subject }

// originAllowed reports whether r's Origin may open a connection.
func (u *Upgrader) originAllowed(r *http.Request) bool {
	if u.o.InsecureAnyOrigin {
		return true
	}
	return OriginAllowed(r.Header.Values("Origin"), r.Host, u.o.OriginPatterns)
}

// OriginAllowed reports whether a request to host with the given Origin
// header values may open a WebSocket under patterns (see
// Options.OriginPatterns). No Origin header is allowed (non-browser
// clients); several Origin headers, "null", an origin without a host or
// with a path are refused. The same host as the request is always allowed.
func OriginAllowed(origins []string, host string, patterns []string) bool {
	switch len(origins) {
	case 0:
		return true
	case 1:
	default:
		return false
	}
	origin := origins[0]
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Opaque != "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" ||
		(u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if strings.EqualFold(u.Host, host) {
		return true
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, err := path.Match(strings.ToLower(p), strings.ToLower(target)); err == nil && ok {
			return true
		}
	}
	return false
}

// credentialFromRequest reads the handshake credential: the Authorization
// header ("Bearer <token>"), the X-API-Key header, or a "bearer.<token>"
// Sec-WebSocket-Protocol value. It never reads the query string. More than
// one credential, or a malformed one, is an error; none is a zero
// Credential.
func credentialFromRequest(r *http.Request) (auth.Credential, error) {
	return CredentialFromHeader(r.Header)
}

// CredentialFromHeader extracts the handshake credential from h; see
// Options and the package documentation for the accepted forms. It returns
// a zero Credential when there is none and an error wrapping
// ErrUnauthenticated when there are several or one is malformed.
func CredentialFromHeader(h http.Header) (auth.Credential, error) {
	var found []auth.Credential
	bad := func(why string) (auth.Credential, error) {
		return auth.Credential{}, fmt.Errorf("%w: %s: %w", ErrUnauthenticated, why, auth.ErrInvalidToken)
	}
	switch vs := h.Values("Authorization"); len(vs) {
	case 0:
	case 1:
		scheme, tok, ok := strings.Cut(strings.TrimSpace(vs[0]), " ")
		tok = strings.TrimSpace(tok)
		if !ok || !strings.EqualFold(scheme, "Bearer") || !validToken(tok) {
			return bad("malformed Authorization header")
		}
		found = append(found, auth.Credential{Kind: auth.CredentialBearer, Value: tok})
	default:
		return bad("several Authorization headers")
	}
	switch vs := h.Values("X-API-Key"); len(vs) {
	case 0:
	case 1:
		tok := strings.TrimSpace(vs[0])
		if !validToken(tok) {
			return bad("malformed X-API-Key header")
		}
		found = append(found, auth.Credential{Kind: auth.CredentialAPIKey, Value: tok})
	default:
		return bad("several X-API-Key headers")
	}
	for _, v := range h.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if !isBearerSubprotocol(p) {
				continue
			}
			tok := p[len(bearerProtocolPrefix):]
			if !validToken(tok) {
				return bad("malformed bearer subprotocol")
			}
			found = append(found, auth.Credential{Kind: auth.CredentialBearer, Value: tok})
		}
	}
	switch len(found) {
	case 0:
		return auth.Credential{}, nil
	case 1:
		return found[0], nil
	default:
		return bad("several credentials")
	}
}

// validToken accepts the characters of RFC 6750 b64token (JWTs, API keys)
// and bounds the length.
func validToken(t string) bool {
	if t == "" || len(t) > 8192 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=':
		default:
			return false
		}
	}
	return true
}

// appSubprotocols joins the subprotocols the server negotiates, leaving out
// any credential-bearing "bearer." value so that it can never be echoed.
func appSubprotocols(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, sp := range l {
			if !isBearerSubprotocol(sp) {
				out = append(out, sp)
			}
		}
	}
	return out
}

// isBearerSubprotocol reports whether a subprotocol value carries a bearer
// token ("bearer.<token>", prefix in any case).
func isBearerSubprotocol(p string) bool {
	return len(p) >= len(bearerProtocolPrefix) && strings.EqualFold(p[:len(bearerProtocolPrefix)], bearerProtocolPrefix)
}

// offersBearerSubprotocol reports whether r offers a "bearer.<token>"
// subprotocol.
func offersBearerSubprotocol(r *http.Request) bool {
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			if isBearerSubprotocol(strings.TrimSpace(p)) {
				return true
			}
		}
	}
	return false
}

// selectSubprotocol mirrors coder/websocket's choice: the first of protos
// (server preference) that the client offered.
func selectSubprotocol(r *http.Request, protos []string) string {
	for _, sp := range protos {
		for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
			for _, cp := range strings.Split(v, ",") {
				if strings.EqualFold(strings.TrimSpace(cp), sp) {
					return sp
				}
			}
		}
	}
	return ""
}

// clientIP returns the address resolved by httpsec's ClientIP middleware,
// else the peer address of the connection.
func clientIP(r *http.Request) string {
	if ip, ok := reqctx.ClientIP(r.Context()); ok && ip.IsValid() {
		return ip.Unmap().String()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().String()
	}
	return host
}
