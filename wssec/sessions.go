package wssec

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/rampart-go/rampart/auth"
)

// CloseGoingAway is the close code Sessions.Shutdown sends: the server is
// going away and the client should reconnect (to another replica).
const CloseGoingAway = websocket.StatusGoingAway

// ErrShuttingDown: the connection was closed (1001) because the server is
// shutting down.
var ErrShuttingDown = errors.New("wssec: server shutting down")

// ErrSessionRevoked: the connection was closed (4403) because its caller's
// session was revoked (logout, role change, an operator's revocation).
var ErrSessionRevoked = errors.New("wssec: session revoked")

// Sessions is a registry of live connections, shared by any number of
// Upgraders (set Options.Sessions), so that connections can be closed by
// who they belong to — when a session is revoked, on this replica or,
// through a message bus, on another — or all at once at shutdown, which
// http.Server.Shutdown does not do for upgraded connections. The zero value
// is not usable; call NewSessions. It is safe for concurrent use.
type Sessions struct {
	mu       sync.Mutex
	conns    map[*Conn]time.Time // connection → when it was registered
	draining bool
	empty    chan struct{} // closed when draining and conns is empty
	now      func() time.Time
}

// NewSessions returns an empty registry.
func NewSessions() *Sessions {
	return &Sessions{conns: make(map[*Conn]time.Time), empty: make(chan struct{}), now: time.Now}
}

// SessionInfo describes one live connection for an operator's view.
type SessionInfo struct {
	// Subject is the caller's subject ("" before in-band authentication or
	// for an anonymous caller).
	Subject string
	// TokenID is the credential's id (JWT jti or API key id).
	TokenID string
	// Roles are the caller's roles.
	Roles []string
	// Subprotocol is the negotiated subprotocol.
	Subprotocol string
	// RemoteIP is the client's address.
	RemoteIP string
	// Since is when the connection was registered.
	Since time.Time
}

// add registers c; it reports false when the registry is draining (the
// connection must then be closed with CloseGoingAway).
func (s *Sessions) add(c *Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return false
	}
	s.conns[c] = s.now()
	return true
}

func (s *Sessions) remove(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; !ok {
		return
	}
	delete(s.conns, c)
	if s.draining && len(s.conns) == 0 {
		close(s.empty)
	}
}

// snapshot returns the registered connections.
func (s *Sessions) snapshot() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// Len returns the number of live connections.
func (s *Sessions) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// List describes the live connections, oldest first.
func (s *Sessions) List() []SessionInfo {
	s.mu.Lock()
	out := make([]SessionInfo, 0, len(s.conns))
	for c, since := range s.conns {
		info := SessionInfo{RemoteIP: c.ip, Since: since}
		if p := c.Principal(); p != nil {
			info.Subject, info.TokenID, info.Roles = p.Subject, p.TokenID, append([]string(nil), p.Roles...)
		}
		if c.ws != nil {
			info.Subprotocol = c.ws.Subprotocol()
		}
		out = append(out, info)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Since.Before(out[j].Since) })
	return out
}

// CloseWhere closes with code and reason (at most 123 bytes, sent to the
// client: a fixed text, never internal detail) every live connection whose
// Principal match reports true, and returns how many it closed. It does
// not wait for the close handshakes: each runs on its own goroutine, which
// ends with the connection (within the close handshake's own timeout).
// match is called with nil for connections not yet authenticated.
func (s *Sessions) CloseWhere(code websocket.StatusCode, reason string, cause error, match func(*auth.Principal) bool) int {
	n := 0
	for _, c := range s.snapshot() {
		if match(c.Principal()) {
			n++
			go func() { _ = c.closeWith(code, reason, cause) }()
		}
	}
	return n
}

// CloseSubject closes (4403, reason) every live connection of subject: call
// it when a user logs out everywhere, changes password or role, or is
// disabled. It returns how many it closed.
func (s *Sessions) CloseSubject(subject, reason string) int {
	if subject == "" {
		return 0
	}
	return s.CloseWhere(CloseForbidden, reason, ErrSessionRevoked, func(p *auth.Principal) bool {
		return p != nil && p.Subject == subject
	})
}

// CloseToken closes (4403, reason) every live connection authenticated
// with the credential tokenID (a JWT's jti, an API key's id): call it when
// one session logs out. It returns how many it closed.
func (s *Sessions) CloseToken(tokenID, reason string) int {
	if tokenID == "" {
		return 0
	}
	return s.CloseWhere(CloseForbidden, reason, ErrSessionRevoked, func(p *auth.Principal) bool {
		return p != nil && p.TokenID == tokenID
	})
}

// Shutdown refuses new connections (each is closed with 1001 right after
// its upgrade), closes every live one with 1001 "going away" and waits until
// all have ended. When ctx is done first it drops the rest without a
// handshake and returns ctx's error. Call it when the server stops, beside
// http.Server.Shutdown, which does not track upgraded connections.
func (s *Sessions) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.draining {
		s.draining = true
		if len(s.conns) == 0 {
			close(s.empty)
		}
	}
	s.mu.Unlock()
	s.CloseWhere(CloseGoingAway, "server shutting down", ErrShuttingDown, func(*auth.Principal) bool { return true })
	select {
	case <-s.empty:
		return nil
	case <-ctx.Done():
		for _, c := range s.snapshot() {
			_ = c.CloseNow()
		}
		return ctx.Err()
	}
}
