package gqlws

import (
	"github.com/coder/websocket"

	"github.com/rampart-go/rampart/wssec"
)

// Close codes of the graphql-transport-ws protocol, the only place a
// Transport's close codes are defined. 4401, 4403 and 4408 are the codes
// wssec's in-band authentication and credential expiry already close with;
// they are named here too so that the protocol's whole table is in one
// place. A new protocol code is one constant here plus the check in
// conn.check that sends it.
const (
	// CloseBadRequest (4400) closes a connection that sent a malformed,
	// binary or unexpected message, or a subscribe without id or query.
	CloseBadRequest websocket.StatusCode = 4400
	// CloseUnauthorized (4401) closes a connection that subscribed before
	// its connection_init was acknowledged, or whose credential expired.
	CloseUnauthorized = wssec.CloseUnauthorized
	// CloseForbidden (4403) closes a connection whose connection_init
	// credential was missing or refused, or whose Options.InitFunc failed.
	CloseForbidden = wssec.CloseForbidden
	// CloseInitTimeout (4408) closes a connection that sent no acceptable
	// connection_init within Options.InitTimeout.
	CloseInitTimeout = wssec.CloseInitTimeout
	// CloseSubscriberExists (4409) closes a connection that reused the id of
	// an active subscription.
	CloseSubscriberExists websocket.StatusCode = 4409
	// CloseTooManyInitRequests (4429) closes a connection that sent a second
	// connection_init. It is never used for rate limits: graphql-ws clients
	// treat 4429 as fatal and stop reconnecting, so message-rate and
	// subscription caps close with wssec.CloseRateLimited (1008), which lets
	// them reconnect with backoff.
	CloseTooManyInitRequests websocket.StatusCode = 4429
)

// Client-to-server message types of graphql-transport-ws.
const (
	msgConnectionInit = "connection_init"
	msgSubscribe      = "subscribe"
	msgComplete       = "complete"
	msgPing           = "ping"
	msgPong           = "pong"
)

// Server-to-client message types the Transport tracks in WriteJSON.
const (
	msgConnectionAck = "connection_ack"
	msgError         = "error"
)

// Close reasons sent with the codes above (fixed text, never detail).
const (
	reasonBadRequest         = "Invalid message received"
	reasonUnauthorized       = "Unauthorized"
	reasonForbidden          = "Forbidden"
	reasonTooManyInit        = "Too many initialisation requests"
	reasonTooManySubscribers = "Too many subscriptions"
)
