package wssec

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/telemetry"
)

// Conn is a guarded WebSocket connection returned by Upgrader.Accept. Every
// message returned by Read has passed the size limit, the rate limits and
// the sanitizer. Like websocket.Conn, all methods may be called concurrently
// except Read, and any error closes the connection. Keep a Read loop
// running: it is what answers pings and pongs, and a peer whose pongs are
// never read is closed as idle.
//
// Conn owns two timers (init timeout and credential expiry) and a keepalive
// timer; none of them outlives the connection, and no goroutine is kept
// beyond a ping's round trip.
type Conn struct {
	u        *Upgrader
	ws       *websocket.Conn
	ip       string
	lim      *rate.Limiter
	lastSeen atomic.Int64 // unix nanoseconds of the last frame from the peer
	// writing counts writes in flight; wrote is when the last write began
	// (with none in flight) or ended, in unix nanoseconds. The write
	// watchdog drops the connection when writes are in flight and wrote is
	// older than WriteTimeout.
	writing atomic.Int32
	wrote   atomic.Int64
	base    context.Context
	cancel  context.CancelFunc
	cleaned sync.Once

	mu          sync.Mutex
	ctx         context.Context
	principal   *auth.Principal
	releases    []func()
	initTimer   *time.Timer
	expiryTimer *time.Timer
	pingTimer   *time.Timer
	writeTimer  *time.Timer
	closing     bool
	closeErr    error
}

func newConn(u *Upgrader, reqCtx context.Context, ip string, p *auth.Principal, releases []func()) *Conn {
	base, cancel := context.WithCancel(context.WithoutCancel(reqCtx))
	c := &Conn{
		u:         u,
		ip:        ip,
		lim:       u.newMessageLimiter(),
		base:      base,
		cancel:    cancel,
		ctx:       auth.WithPrincipal(base, p),
		principal: p,
		releases:  releases,
	}
	c.touch()
	return c
}

// start arms the limits once the upgrade succeeded.
func (c *Conn) start(ws *websocket.Conn, needInit bool) {
	o := &c.u.o
	c.ws = ws
	if ins := o.Telemetry; ins != nil {
		ins.WSConnections(c.base, telemetry.GuardWebSocket, 1)
		c.mu.Lock()
		c.releases = append(c.releases, func() { ins.WSConnections(context.Background(), telemetry.GuardWebSocket, -1) })
		c.mu.Unlock()
	}
	if s := o.Sessions; s != nil {
		// The release goes first: once added, another goroutine may close c.
		c.mu.Lock()
		c.releases = append(c.releases, func() { s.remove(c) })
		c.mu.Unlock()
		if !s.add(c) {
			_ = c.closeWith(CloseGoingAway, "server shutting down", ErrShuttingDown)
			return
		}
	}
	if o.MaxMessageBytes == rampart.Unlimited {
		ws.SetReadLimit(-1)
	} else {
		ws.SetReadLimit(o.MaxMessageBytes)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if needInit {
		c.initTimer = time.AfterFunc(o.InitTimeout, func() {
			_ = c.closeWith(CloseInitTimeout, "Connection initialisation timeout", ErrInitTimeout)
		})
	}
	c.armExpiryLocked()
	if o.IdleTimeout != rampart.Unlimited {
		c.pingTimer = time.AfterFunc(o.IdleTimeout/3, c.keepalive)
	}
	if o.WriteTimeout != rampart.Unlimited {
		c.writeTimer = time.AfterFunc(o.WriteTimeout/2, c.writeWatch)
	}
}

// Context returns the connection's context: it carries the Principal (see
// auth.PrincipalFrom) and the request's values, and is cancelled when the
// connection ends.
func (c *Conn) Context() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ctx
}

// Principal returns the authenticated caller, or nil for an anonymous one.
func (c *Conn) Principal() *auth.Principal {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.principal
}

// Subprotocol returns the negotiated subprotocol ("" for none).
func (c *Conn) Subprotocol() string { return c.ws.Subprotocol() }

// Read returns the next message. Before returning it, Read enforces the
// per-connection and per-caller rates (closing with 1008, or 1013 when the
// caller limiter's backend fails) and sanitises text messages; the size
// limit is enforced while reading (1009). Errors wrap the sentinel of the
// guard that closed the connection, if any.
func (c *Conn) Read(ctx context.Context) (websocket.MessageType, []byte, error) {
	typ, data, err := c.ws.Read(c.ioContext(ctx))
	if err != nil {
		return 0, nil, c.readFailed(err)
	}
	c.touch()
	if err := c.allow(ctx); err != nil {
		return 0, nil, err
	}
	if typ == websocket.MessageText && c.u.o.Sanitizer != nil {
		data = c.u.o.Sanitizer.Sanitize(data)
	}
	return typ, data, nil
}

// ioContext returns the context to hand coder/websocket for one read or
// write. The connection's own context ends only when the connection does,
// which aborts I/O anyway, so it is replaced by a context without a Done
// channel: coder then skips arming a cancellation hook on every frame.
// coder uses no context values.
func (c *Conn) ioContext(ctx context.Context) context.Context {
	if ctx == c.Context() {
		return context.Background()
	}
	return ctx
}

// Write sends one message. Outgoing messages are not sanitised: encode data
// for its destination.
func (c *Conn) Write(ctx context.Context, typ websocket.MessageType, data []byte) error {
	if c.writing.Add(1) == 1 {
		c.wrote.Store(time.Now().UnixNano())
	}
	err := c.ws.Write(c.ioContext(ctx), typ, data)
	c.wrote.Store(time.Now().UnixNano())
	c.writing.Add(-1)
	if err != nil {
		c.mu.Lock()
		cause := c.closeErr
		c.mu.Unlock()
		if errors.Is(cause, ErrWriteTimeout) {
			return fmt.Errorf("wssec: write: %w: %w", cause, err)
		}
		return fmt.Errorf("wssec: write: %w", err)
	}
	return nil
}

// writeWatch runs every WriteTimeout/2 while the connection lives: when a
// write has been stuck for WriteTimeout, the peer is not reading, so the
// connection is dropped (a close frame could not get through either).
func (c *Conn) writeWatch() {
	d := c.u.o.WriteTimeout
	if c.writing.Load() > 0 && time.Since(time.Unix(0, c.wrote.Load())) >= d {
		c.mu.Lock()
		if c.closing {
			c.mu.Unlock()
			return
		}
		c.closing = true
		c.closeErr = ErrWriteTimeout
		c.stopTimersLocked()
		c.mu.Unlock()
		c.u.o.Logger.Info("wssec: dropping connection", "cause", ErrWriteTimeout.Error(), "remote", c.ip)
		_ = c.ws.CloseNow()
		c.cleanup()
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closing {
		c.writeTimer.Reset(d / 2)
	}
}

// Close performs the close handshake with code and reason (at most 123
// bytes; send a fixed reason, never internal detail) and releases the
// connection's slots and timers. Only the first close takes effect.
func (c *Conn) Close(code websocket.StatusCode, reason string) error {
	return c.closeWith(code, reason, nil)
}

// CloseNow closes the connection without a close handshake.
func (c *Conn) CloseNow() error {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	err := c.ws.CloseNow()
	c.cleanup()
	return err
}

// Authenticate completes in-band authentication (Options.DeferAuth) with a
// credential read from the connection, such as the payload of a protocol's
// init message.
// A zero cred is accepted when the handshake already authenticated the
// caller or anonymous callers are allowed. On success it stops the init
// timer, takes the caller's connection slot, stores the Principal (Context
// and Principal report it) and arms the expiry timer. A credential for a
// different subject than the handshake's is refused. On failure the
// connection is closed with 4403 (1013 when the caller's connection cap is
// reached) and the error wraps ErrUnauthenticated or ErrTooManyConnections.
func (c *Conn) Authenticate(ctx context.Context, cred auth.Credential) (*auth.Principal, error) {
	c.mu.Lock()
	prev := c.principal
	c.mu.Unlock()
	if cred.Value == "" {
		if prev != nil || c.u.o.AllowAnonymous {
			c.stopInitTimer()
			return prev, nil
		}
		err := fmt.Errorf("%w: %w", ErrUnauthenticated, auth.ErrNoCredential)
		_ = c.closeWith(CloseForbidden, "Forbidden", err)
		return nil, err
	}
	p, err := c.u.authenticate(ctx, cred)
	if err == nil && prev != nil && prev.Subject != p.Subject {
		err = fmt.Errorf("%w: in-band credential is for another subject: %w", ErrUnauthenticated, auth.ErrInvalidToken)
	}
	if err != nil {
		_ = c.closeWith(CloseForbidden, "Forbidden", err)
		return nil, err
	}
	var rel func()
	if prev == nil {
		rel, err = c.u.acquire(ctx, callerKey(p), c.u.o.MaxConnsPerCaller)
		if err != nil {
			_ = c.closeWith(CloseTryAgainLater, "Try again later", err)
			return nil, err
		}
	}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		if rel != nil {
			rel()
		}
		return nil, fmt.Errorf("wssec: authenticate: %w", c.closedErr())
	}
	if rel != nil {
		c.releases = append(c.releases, rel)
	}
	c.principal = p
	c.ctx = auth.WithPrincipal(c.base, p)
	if c.initTimer != nil {
		c.initTimer.Stop()
	}
	c.armExpiryLocked()
	c.mu.Unlock()
	return p, nil
}

func (c *Conn) stopInitTimer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.initTimer != nil {
		c.initTimer.Stop()
	}
}

// armExpiryLocked (re)arms the credential-expiry timer for c.principal.
func (c *Conn) armExpiryLocked() {
	if c.expiryTimer != nil {
		c.expiryTimer.Stop()
		c.expiryTimer = nil
	}
	p := c.principal
	if p == nil || p.ExpiresAt.IsZero() {
		return
	}
	d := p.ExpiresAt.Sub(c.u.o.Now())
	c.expiryTimer = time.AfterFunc(max(d, 0), func() {
		_ = c.closeWith(CloseUnauthorized, "Unauthorized: token expired", ErrTokenExpired)
	})
}

func (c *Conn) allow(ctx context.Context) error {
	o := &c.u.o
	if o.LimitsMode == rampart.Off {
		return nil
	}
	if c.lim != nil && !c.lim.AllowN(o.Now(), 1) && !c.measured(ctx, CodeRateLimitedWS) {
		_ = c.closeWith(CloseRateLimited, "Rate limit exceeded", ErrRateLimited)
		return fmt.Errorf("wssec: read: %w", ErrRateLimited)
	}
	if o.CallerLimiter == nil {
		return nil
	}
	key := "ws:msg:ip:" + c.ip
	if p := c.Principal(); p != nil {
		key = "ws:msg:sub:" + p.Subject
	}
	d, err := o.CallerLimiter.Allow(ctx, key, o.CallerRate, 1)
	decision := telemetry.DecisionAllowed
	switch {
	case err != nil:
		decision = telemetry.DecisionError
	case !d.Allowed:
		decision = telemetry.DecisionRefused
	}
	o.Telemetry.RateLimit(ctx, telemetry.GuardWebSocket, ratelimit.BackendName(o.CallerLimiter), decision)
	if err != nil && !c.measured(ctx, CodeUnavailable) {
		err = fmt.Errorf("%w: %w", ErrBackend, err)
		_ = c.closeWith(CloseTryAgainLater, "Try again later", err)
		return fmt.Errorf("wssec: read: %w", err)
	}
	if err == nil && !d.Allowed && !c.measured(ctx, CodeRateLimitedWS) {
		_ = c.closeWith(CloseRateLimited, "Rate limit exceeded", ErrRateLimited)
		return fmt.Errorf("wssec: read: %w", ErrRateLimited)
	}
	return nil
}

// keepalive runs on the ping timer: it closes an idle connection, or pings
// and re-arms itself.
func (c *Conn) keepalive() {
	idle := c.u.o.IdleTimeout
	interval := idle / 3
	if time.Since(time.Unix(0, c.lastSeen.Load())) >= idle {
		_ = c.closeWith(CloseIdle, "Idle timeout", ErrIdleTimeout)
		return
	}
	ctx, cancel := context.WithTimeout(c.base, interval)
	_ = c.ws.Ping(ctx) // a pong updates lastSeen through OnPongReceived
	cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closing {
		c.pingTimer.Reset(interval)
	}
}

// measured reports whether a refusal with code is let through under
// LimitsMode rampart.Measure (recorded as measured), and records an
// enforced one otherwise.
func (c *Conn) measured(ctx context.Context, code string) bool {
	o := &c.u.o
	o.Telemetry.Reject(ctx, telemetry.GuardWebSocket, code, o.LimitsMode)
	if o.LimitsMode != rampart.Measure {
		return false
	}
	o.Logger.Info("wssec: limit exceeded (measure mode: let through)", "code", code, "remote", c.ip)
	return true
}

func (c *Conn) touch() { c.lastSeen.Store(time.Now().UnixNano()) }

// closeWith closes the connection with code once, recording cause as the
// reason later reads fail with.
func (c *Conn) closeWith(code websocket.StatusCode, reason string, cause error) error {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return nil
	}
	c.closing = true
	c.closeErr = cause
	c.stopTimersLocked()
	c.mu.Unlock()
	c.u.o.Telemetry.WSClose(c.base, telemetry.GuardWebSocket, int(code))
	if cause != nil {
		c.u.o.Logger.Info("wssec: closing connection", "code", int(code), "reason", reason, "cause", cause.Error(), "remote", c.ip)
	}
	err := c.ws.Close(code, reason)
	c.cleanup()
	if err != nil {
		return fmt.Errorf("wssec: close: %w", err)
	}
	return nil
}

func (c *Conn) stopTimersLocked() {
	for _, t := range []*time.Timer{c.initTimer, c.expiryTimer, c.pingTimer, c.writeTimer} {
		if t != nil {
			t.Stop()
		}
	}
}

// cleanup releases everything the connection holds; it runs once, when the
// connection is known to be over.
func (c *Conn) cleanup() {
	c.cleaned.Do(func() {
		c.mu.Lock()
		c.closing = true
		c.stopTimersLocked()
		rels := c.releases
		c.releases = nil
		c.mu.Unlock()
		c.cancel()
		for _, rel := range rels {
			rel()
		}
	})
}

func (c *Conn) closedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeErr != nil {
		return c.closeErr
	}
	return errors.New("connection closed")
}

// readFailed turns a read error into the package's error: the connection is
// over, so everything is released.
func (c *Conn) readFailed(err error) error {
	c.cleanup()
	c.mu.Lock()
	cause := c.closeErr
	c.mu.Unlock()
	switch {
	case cause != nil:
		return fmt.Errorf("wssec: read: %w: %w", cause, err)
	case errors.Is(err, websocket.ErrMessageTooBig):
		return fmt.Errorf("wssec: read: %w: %w", ErrMessageTooBig, err)
	default:
		return fmt.Errorf("wssec: read: %w", err)
	}
}
