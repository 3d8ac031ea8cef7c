package wssec

import (
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/telemetry"
)

// Defaults applied to zero fields of Options.
const (
	DefaultMaxMessageBytes   = 64 << 10
	DefaultMessageRate       = 20 // messages per second
	DefaultMessageBurst      = 40
	DefaultInitTimeout       = 10 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultWriteTimeout      = 10 * time.Second
	DefaultMaxConnsPerCaller = 10
	DefaultMaxConnsPerIP     = 100
	DefaultCallerRate        = 50 // messages per second across all of a caller's connections
	DefaultCallerBurst       = 100
)

// Options configures an Upgrader. The zero value (with an Authenticator) is
// the hardened default; each field documents its default, unit and what
// happens when a client exceeds it.
type Options struct {
	// OriginPatterns lists the origins allowed to open a connection besides
	// the request's own host, as path.Match patterns matched case
	// insensitively against the Origin's host ("app.example.com",
	// "*.example.com") or, when the pattern contains "://", against
	// "scheme://host". Requests without an Origin header (non-browser
	// clients) are allowed; "null" and unparsable origins are refused. A
	// refused origin gets 403 before the upgrade and before any
	// authentication. A malformed pattern makes New fail.
	OriginPatterns []string
	// InsecureAnyOrigin turns the origin check off, exposing the endpoint to
	// cross-site WebSocket hijacking by any web page a logged-in user visits.
	// Only for endpoints that authenticate with credentials a browser does not
	// attach on its own.
	InsecureAnyOrigin bool

	// Authenticator verifies the caller's credential. Required unless
	// AllowAnonymous is set.
	Authenticator auth.Authenticator
	// AllowAnonymous lets callers without a credential connect; their
	// Principal is nil. A credential that is presented and refused is still
	// refused. Default false: authentication is required.
	AllowAnonymous bool
	// DeferAuth upgrades a request that carries no handshake credential; the
	// application must then call Conn.Authenticate (with a credential read
	// from the first message of its protocol) within InitTimeout, or the connection is closed with 4408. Default
	// false: the credential must come with the handshake or the request gets
	// 401.
	DeferAuth bool
	// InitTimeout bounds in-band authentication (see DeferAuth). Default 10 s.
	InitTimeout time.Duration

	// Subprotocols lists the application subprotocols the server
	// negotiates, in order of preference. A browser cannot set Authorization
	// on a WebSocket; it sends its token as a subprotocol next to an
	// application one, new WebSocket(url, ["chat", "bearer." + token]), and
	// fails the connection unless the server echoes one of the values it
	// offered. The server echoes the first of Subprotocols the client
	// offered, never the "bearer." value; a client offering "bearer.<token>"
	// but none of Subprotocols is refused with 400
	// (CodeAppSubprotocolRequired) before the upgrade. A "bearer." entry
	// here makes New fail.
	Subprotocols []string

	// MaxMessageBytes is the largest message accepted, in bytes. A larger
	// message closes the connection with 1009. Default 64 KiB; rampart.Unlimited
	// turns it off.
	MaxMessageBytes int64
	// MessageRate is the per-connection token bucket for incoming messages.
	// A connection that exceeds it is closed with 1008 (CloseRateLimited).
	// Default 20 per second, burst 40; Limit rampart.Unlimited turns it off.
	MessageRate ratelimit.Rate
	// CallerLimiter, when set, also limits the messages of each caller
	// across all its connections (and all replicas sharing the limiter),
	// keyed by subject, or by client IP for anonymous callers. nil = off.
	// A backend failure closes the connection with 1013 (fail closed).
	CallerLimiter ratelimit.Limiter
	// CallerRate is the rate CallerLimiter enforces. Default 50 per second,
	// burst 100.
	CallerRate ratelimit.Rate

	// Slots holds the connection caps. nil = a ratelimit.MemorySlots owned
	// by this Upgrader (one process); use a shared implementation
	// (redisrl.NewSlots) to cap across replicas. A backend failure refuses
	// the upgrade with 503.
	Slots ratelimit.Slots
	// MaxConnsPerCaller caps the open connections of one authenticated
	// caller. Over the cap: 429 before the upgrade, or close 1013 when the
	// caller authenticated in-band. Default 10; rampart.Unlimited turns it off.
	MaxConnsPerCaller int
	// MaxConnsPerIP caps the open connections from one client IP (taken from
	// reqctx.ClientIP, else the peer address). Over the cap: 429 before
	// the upgrade. Default 100; rampart.Unlimited turns it off.
	MaxConnsPerIP int

	// Sanitizer cleans incoming text messages; binary messages are never
	// touched. nil = NewJSONSanitizer(nil): string values of JSON messages
	// (and whole non-JSON texts) through bluemonday's strict policy, with
	// control characters stripped.
	Sanitizer Sanitizer
	// InsecureNoSanitize turns sanitisation off for this endpoint.
	InsecureNoSanitize bool

	// IdleTimeout closes (1001) a connection from which nothing (message,
	// ping or pong) arrived for this long. The server pings every
	// IdleTimeout/3, so a live peer that keeps reading is never idle. Default
	// 60 s; rampart.Unlimited turns idle detection and pings off.
	IdleTimeout time.Duration

	// WriteTimeout bounds how long one outgoing message may wait for a
	// peer that stopped reading (its TCP window full). A connection whose
	// write makes no progress for this long is dropped (without a close
	// frame: the peer is not reading), its goroutines and buffers released,
	// and reads fail with ErrWriteTimeout. Default 10 s; Unlimited turns
	// it off.
	WriteTimeout time.Duration

	// Now is the clock used for token expiry and rate limits. nil = time.Now.
	Now func() time.Time
	// Logger receives refusals and closes at Debug/Info level, with causes.
	// nil = discard.
	Logger *slog.Logger

	// LimitsMode is the mode of the rates (MessageRate, CallerRate) and
	// the connection caps (MaxConnsPerCaller, MaxConnsPerIP): the zero
	// value rampart.Enforce closes (1008, 1013) or refuses (429);
	// rampart.Measure lets the message or connection through, counted
	// (outcome "measured") and logged; rampart.Off skips them. The message
	// size limit (1009) is enforced by the WebSocket library while reading
	// and always applies.
	LimitsMode rampart.Mode
	// Telemetry counts open connections, closes by code, and refusals
	// (guard telemetry.GuardWebSocket). Nil records nothing.
	Telemetry *telemetry.Instruments

	// Sessions, if set, registers every accepted connection so that it can
	// be closed by subject or credential when a session is revoked
	// (CloseSubject, CloseToken) and all at once at shutdown (Shutdown,
	// 1001). Share one Sessions among all of a server's Upgraders. nil =
	// connections are not tracked.
	Sessions *Sessions
}

// withDefaults validates o and returns a copy with defaults filled in.
func (o Options) withDefaults() (Options, error) {
	if !o.LimitsMode.Valid() {
		return o, fmt.Errorf("%w: wssec: invalid LimitsMode %v", rampart.ErrConfig, o.LimitsMode)
	}
	if o.Authenticator == nil && !o.AllowAnonymous {
		return o, fmt.Errorf("%w: wssec: Authenticator is required unless AllowAnonymous is set", rampart.ErrConfig)
	}
	for _, p := range o.OriginPatterns {
		if p == "" || p == "*" {
			return o, fmt.Errorf("%w: wssec: origin pattern %q allows any origin; use InsecureAnyOrigin", rampart.ErrConfig, p)
		}
		if _, err := path.Match(strings.ToLower(p), ""); err != nil {
			return o, fmt.Errorf("%w: wssec: origin pattern %q: %w", rampart.ErrConfig, p, err)
		}
	}
	o.OriginPatterns = append([]string(nil), o.OriginPatterns...)
	o.Subprotocols = append([]string(nil), o.Subprotocols...)
	for _, sp := range o.Subprotocols {
		if isBearerSubprotocol(sp) {
			return o, fmt.Errorf("%w: wssec: subprotocol %q would echo a credential", rampart.ErrConfig, sp)
		}
	}
	if o.InitTimeout < 0 {
		return o, fmt.Errorf("%w: wssec: InitTimeout %v is negative", rampart.ErrConfig, o.InitTimeout)
	}
	if o.InitTimeout == 0 {
		o.InitTimeout = DefaultInitTimeout
	}
	switch {
	case o.MaxMessageBytes == 0:
		o.MaxMessageBytes = DefaultMaxMessageBytes
	case o.MaxMessageBytes < rampart.Unlimited:
		return o, fmt.Errorf("%w: wssec: MaxMessageBytes %d", rampart.ErrConfig, o.MaxMessageBytes)
	}
	var err error
	if o.MessageRate, err = rateDefaults("MessageRate", o.MessageRate, DefaultMessageRate, DefaultMessageBurst); err != nil {
		return o, err
	}
	if o.CallerRate, err = rateDefaults("CallerRate", o.CallerRate, DefaultCallerRate, DefaultCallerBurst); err != nil {
		return o, err
	}
	if o.MaxConnsPerCaller, err = capDefault("MaxConnsPerCaller", o.MaxConnsPerCaller, DefaultMaxConnsPerCaller); err != nil {
		return o, err
	}
	if o.MaxConnsPerIP, err = capDefault("MaxConnsPerIP", o.MaxConnsPerIP, DefaultMaxConnsPerIP); err != nil {
		return o, err
	}
	switch {
	case o.IdleTimeout == 0:
		o.IdleTimeout = DefaultIdleTimeout
	case o.IdleTimeout < 0 && o.IdleTimeout != rampart.Unlimited:
		return o, fmt.Errorf("%w: wssec: IdleTimeout %v", rampart.ErrConfig, o.IdleTimeout)
	}
	switch {
	case o.WriteTimeout == 0:
		o.WriteTimeout = DefaultWriteTimeout
	case o.WriteTimeout < 0 && o.WriteTimeout != rampart.Unlimited:
		return o, fmt.Errorf("%w: wssec: WriteTimeout %v", rampart.ErrConfig, o.WriteTimeout)
	}
	if o.Sanitizer == nil && !o.InsecureNoSanitize {
		o.Sanitizer = NewJSONSanitizer(nil)
	}
	if o.InsecureNoSanitize {
		o.Sanitizer = nil
	}
	if o.Slots == nil {
		o.Slots = ratelimit.NewMemorySlots()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

func rateDefaults(name string, r ratelimit.Rate, limit, burst int) (ratelimit.Rate, error) {
	switch {
	case r.Limit == rampart.Unlimited:
		return r, nil
	case r.Limit == 0 && r.Burst == 0 && r.Period == 0:
		return ratelimit.Rate{Limit: limit, Period: time.Second, Burst: burst}, nil
	case r.Limit < 0 || r.Burst < 0 || r.Period < 0:
		return r, fmt.Errorf("%w: wssec: %s %+v has a negative field", rampart.ErrConfig, name, r)
	case r.Limit == 0:
		return r, fmt.Errorf("%w: wssec: %s %+v has no Limit (use rampart.Unlimited to turn it off)", rampart.ErrConfig, name, r)
	}
	if r.Period == 0 {
		r.Period = time.Second
	}
	if r.Burst == 0 {
		r.Burst = r.Limit
	}
	return r, nil
}

func capDefault(name string, v, def int) (int, error) {
	switch {
	case v == 0:
		return def, nil
	case v < rampart.Unlimited:
		return v, fmt.Errorf("%w: wssec: %s %d", rampart.ErrConfig, name, v)
	}
	return v, nil
}

// strictPolicy is bluemonday's strict policy: every tag removed, text
// HTML-escaped.
func strictPolicy() *bluemonday.Policy { return bluemonday.StrictPolicy() }
