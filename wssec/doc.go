// Package wssec hardens WebSocket endpoints built on github.com/coder/websocket.
//
// An [Upgrader], built once with [New] from [Options], checks every upgrade
// request before it becomes a WebSocket: the Origin header against an
// allowlist (cross-site WebSocket hijacking), the caller's credential through
// an [auth.Authenticator], and per-IP and per-caller connection caps. The
// [Conn] it returns guards every incoming message: a size limit (close 1009),
// a per-connection token bucket and an optional per-caller bucket shared by
// all of the caller's connections (close 1008), and sanitisation of text
// messages with bluemonday (JSON string values only; structure untouched).
// A connection whose credential expires is closed with 4401; one that shows
// no sign of life for the idle timeout is closed with 1001; a connection that
// must authenticate in-band and does not do so in time is closed with 4408.
//
// The zero [Options] (plus an Authenticator) is the hardened default: same
// host origins only, authentication required, 64 KiB messages, 20 messages/s
// with bursts of 40, 10 s init timeout, 10 connections per caller and 100 per
// IP, sanitisation with bluemonday's strict policy.
//
// Credentials are read from the handshake only from the Authorization header
// ("Bearer <token>"), the X-API-Key header, or a Sec-WebSocket-Protocol value
// "bearer.<token>" offered next to an application subprotocol (browsers
// cannot set headers on a WebSocket: new WebSocket(url, ["chat",
// "bearer." + token])). The server then echoes the application subprotocol
// (one of Options.Subprotocols), never the token; a bearer subprotocol
// offered without one is refused with 400 (CodeAppSubprotocolRequired)
// before the upgrade, since a browser accepts only an echo of a value it
// offered. Credentials are never read from the query string, where they
// would end up in access logs and browser history.
//
// Package wssec knows no application protocol: it moves messages, and the
// application decodes them. Package wssec/gqlws builds gqlgen's WebSocket
// protocol, with its own close codes, on top of it.
package wssec
