package wssec

import (
	"errors"

	"github.com/coder/websocket"
)

// Close codes sent to the client. The 10xx codes are RFC 6455's; the 44xx
// ones are in the range RFC 6455 leaves to applications, and are the codes
// an application protocol built on wssec (such as the one package
// wssec/gqlws speaks) uses for the same events. Codes that only an
// application protocol sends are defined by that protocol's package.
const (
	// CloseUnauthorized (4401) closes a connection whose credential expired.
	CloseUnauthorized websocket.StatusCode = 4401
	// CloseForbidden (4403) closes a connection whose in-band credential
	// (Conn.Authenticate) was missing or refused, or whose session was
	// revoked (Sessions.Revoke, Sessions.Recheck).
	CloseForbidden websocket.StatusCode = 4403
	// CloseInitTimeout (4408) closes a connection that did not authenticate
	// in-band (Conn.Authenticate) within Options.InitTimeout.
	CloseInitTimeout websocket.StatusCode = 4408

	// CloseRateLimited (1008, policy violation) closes a connection that
	// exceeded its message rate. 1008 is the RFC 6455 code for a policy
	// violation and lets well-behaved clients reconnect with backoff.
	CloseRateLimited = websocket.StatusPolicyViolation
	// CloseMessageTooBig (1009) closes a connection that sent a message over
	// Options.MaxMessageBytes.
	CloseMessageTooBig = websocket.StatusMessageTooBig
	// CloseTryAgainLater (1013) closes a connection refused for capacity
	// after the upgrade (connection cap reached at in-band authentication) or
	// because a rate-limit backend failed (fail closed).
	CloseTryAgainLater = websocket.StatusTryAgainLater
	// CloseIdle (1001, going away) closes a connection that showed no sign of
	// life (no message, ping or pong) for Options.IdleTimeout.
	CloseIdle = websocket.StatusGoingAway
)

// Stable codes written in the body of refused upgrade requests.
const (
	CodeOriginNotAllowed    = "WS_ORIGIN_NOT_ALLOWED"
	CodeTooManyConnections  = "WS_TOO_MANY_CONNECTIONS"
	CodeSubprotocolRequired = "WS_SUBPROTOCOL_REQUIRED"
	CodeUnavailable         = "WS_UNAVAILABLE"
	// CodeAppSubprotocolRequired refuses (400) a client that offered a
	// "bearer.<token>" subprotocol but none of Options.Subprotocols next to
	// it. A browser needs the server to echo one of the values it offered,
	// and the credential-bearing one is never echoed: offer
	// ["chat", "bearer.<token>"], not ["bearer.<token>"] alone.
	CodeAppSubprotocolRequired = "WS_APP_SUBPROTOCOL_REQUIRED"
	// CodeRateLimitedWS names, in metrics and logs, a connection closed
	// (1008) for going over its message rate or its caller's.
	CodeRateLimitedWS = "WS_RATE_LIMITED"
)

// Sentinel errors. Errors returned by this package wrap one of them; test
// with errors.Is.
var (
	// ErrOriginNotAllowed means the Origin header matched no allowed origin;
	// the request was refused with 403 before the upgrade.
	ErrOriginNotAllowed = errors.New("wssec: origin not allowed")
	// ErrUnauthenticated means a required credential was missing or refused.
	// It also wraps the auth sentinel (auth.ErrInvalidToken, auth.ErrExpired,
	// ...) when the Authenticator refused one.
	ErrUnauthenticated = errors.New("wssec: unauthenticated")
	// ErrSubprotocolRequired means the client offered none of the required
	// subprotocols (AcceptOptions.RequireSubprotocol), or offered a
	// "bearer.<token>" subprotocol without an application subprotocol the
	// server negotiates (CodeAppSubprotocolRequired).
	ErrSubprotocolRequired = errors.New("wssec: required subprotocol not offered")
	// ErrTooManyConnections means a per-IP or per-caller connection cap was
	// reached.
	ErrTooManyConnections = errors.New("wssec: too many connections")
	// ErrInitTimeout means the connection did not authenticate in-band
	// within the init timeout (closed with 4408).
	ErrInitTimeout = errors.New("wssec: init timeout")
	// ErrRateLimited means the connection exceeded its message rate (closed
	// with 1008).
	ErrRateLimited = errors.New("wssec: message rate exceeded")
	// ErrMessageTooBig means the peer sent a message over
	// Options.MaxMessageBytes (closed with 1009).
	ErrMessageTooBig = errors.New("wssec: message too big")
	// ErrTokenExpired means the caller's credential expired while the
	// connection was open (closed with 4401).
	ErrTokenExpired = errors.New("wssec: credential expired")
	// ErrWriteTimeout means a write made no progress for
	// Options.WriteTimeout: the peer stopped reading.
	ErrWriteTimeout = errors.New("wssec: write timeout: the peer stopped reading")
	// ErrIdleTimeout means the peer showed no sign of life for the idle
	// timeout (closed with 1001).
	ErrIdleTimeout = errors.New("wssec: idle timeout")
	// ErrBackend means a rate-limit or connection-cap backend failed; the
	// connection is refused or closed (fail closed).
	ErrBackend = errors.New("wssec: limiter backend failed")
	// ErrNotJSON is returned by JSONSanitizer.SanitizeJSON for input that is
	// not one valid JSON value.
	ErrNotJSON = errors.New("wssec: not a JSON document")
)
