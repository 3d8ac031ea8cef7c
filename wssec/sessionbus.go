package wssec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/rampart-go/rampart/auth"
)

// CodeBadSessionEvent is the stable code of ErrBadSessionEvent.
const CodeBadSessionEvent = "WS_BAD_SESSION_EVENT"

// ErrBadSessionEvent means a SessionEvent is malformed: no subject and no
// token id, a field over its limit, a cause outside its alphabet, or (when
// parsed) bytes that are not one JSON object of the event's fields.
var ErrBadSessionEvent = errors.New("wssec: bad session event")

// Limits of a SessionEvent.
const (
	// MaxSessionEventBytes bounds an encoded event.
	MaxSessionEventBytes = 1024
	// maxEventID bounds Subject and TokenID.
	maxEventID = 256
	// maxEventCause bounds Cause, which is sent to the client in the close
	// reason ("session revoked: " + Cause must fit the 123 bytes of a close
	// frame's reason).
	maxEventCause = 48
)

// SessionEvent says that sessions were revoked: every live connection of
// Subject, or only those authenticated with the credential TokenID (a JWT's
// jti), must close. Cause ("logout", "role change", ...) is sent to the
// client in the close reason, "session revoked: " + Cause.
type SessionEvent struct {
	// Subject is the caller whose sessions are revoked. With TokenID set it
	// only narrows the match (both must agree).
	Subject string `json:"sub,omitempty"`
	// TokenID limits the event to connections authenticated with this
	// credential.
	TokenID string `json:"jti,omitempty"`
	// Cause is 1 to 48 bytes of lower-case ASCII letters, digits, spaces,
	// '-' and '_'.
	Cause string `json:"cause"`
}

// Validate checks ev's limits; errors wrap ErrBadSessionEvent.
func (ev SessionEvent) Validate() error {
	switch {
	case ev.Subject == "" && ev.TokenID == "":
		return fmt.Errorf("%w: neither subject nor token id", ErrBadSessionEvent)
	case len(ev.Subject) > maxEventID || len(ev.TokenID) > maxEventID:
		return fmt.Errorf("%w: subject or token id over %d bytes", ErrBadSessionEvent, maxEventID)
	case ev.Cause == "" || len(ev.Cause) > maxEventCause:
		return fmt.Errorf("%w: cause must be 1 to %d bytes", ErrBadSessionEvent, maxEventCause)
	}
	for i := 0; i < len(ev.Cause); i++ {
		switch b := ev.Cause[i]; {
		case b >= 'a' && b <= 'z', b >= '0' && b <= '9', b == ' ', b == '-', b == '_':
		default:
			return fmt.Errorf("%w: cause has a byte outside [a-z0-9 _-]", ErrBadSessionEvent)
		}
	}
	return nil
}

// Reason is the close reason sent to the client: "session revoked: " + Cause.
func (ev SessionEvent) Reason() string { return "session revoked: " + ev.Cause }

// Matches reports whether a connection of p is revoked by ev. An anonymous
// connection (nil p) never is.
func (ev SessionEvent) Matches(p *auth.Principal) bool {
	if p == nil {
		return false
	}
	if ev.TokenID != "" {
		return p.TokenID == ev.TokenID && (ev.Subject == "" || p.Subject == ev.Subject)
	}
	return ev.Subject != "" && p.Subject == ev.Subject
}

// MarshalSessionEvent validates ev and encodes it as JSON for a bus.
func MarshalSessionEvent(ev SessionEvent) ([]byte, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(ev)
}

// ParseSessionEvent decodes an event received from a bus (untrusted bytes:
// at most MaxSessionEventBytes, one JSON object, no unknown fields) and
// validates it. Errors wrap ErrBadSessionEvent.
func ParseSessionEvent(data []byte) (SessionEvent, error) {
	if len(data) > MaxSessionEventBytes {
		return SessionEvent{}, fmt.Errorf("%w: over %d bytes", ErrBadSessionEvent, MaxSessionEventBytes)
	}
	var ev SessionEvent
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return SessionEvent{}, fmt.Errorf("%w: %w", ErrBadSessionEvent, err)
	}
	if dec.More() {
		return SessionEvent{}, fmt.Errorf("%w: trailing data", ErrBadSessionEvent)
	}
	if err := ev.Validate(); err != nil {
		return SessionEvent{}, err
	}
	return ev, nil
}

// SessionBus carries SessionEvents to every replica that shares it. The
// in-process LocalBus serves one process; package wssec/wsredis carries
// them over Redis pub/sub between replicas (Redis Cluster included).
//
// A bus may lose events while it is disconnected; the revocation store
// stays the source of truth. That is why Listen calls resync each time it
// has (re)connected: the listener then re-checks every live connection
// against the store (Sessions.Recheck), so nothing revoked meanwhile stays
// open.
type SessionBus interface {
	// Publish sends ev to every listener, on every replica, this one
	// included. It validates ev first.
	Publish(ctx context.Context, ev SessionEvent) error
	// Listen calls deliver for each event published anywhere and resync
	// each time it has connected (first time included), until ctx is done;
	// it then returns ctx's error, having ended every goroutine it started.
	// deliver and resync run on Listen's goroutine, one at a time.
	Listen(ctx context.Context, deliver func(SessionEvent), resync func()) error
}

// LocalBus is a SessionBus within one process. The zero value is ready to
// use; it is safe for concurrent use.
type LocalBus struct {
	mu        sync.Mutex
	listeners map[*localListener]struct{}
}

type localListener struct{ ch chan SessionEvent }

// localBuffer is how many events a local listener may lag behind before
// Publish waits for it.
const localBuffer = 256

// Publish hands ev to every current listener. It waits (until ctx is done)
// for a listener whose queue is full, so that no revocation is dropped.
func (b *LocalBus) Publish(ctx context.Context, ev SessionEvent) error {
	if err := ev.Validate(); err != nil {
		return err
	}
	b.mu.Lock()
	ls := make([]*localListener, 0, len(b.listeners))
	for l := range b.listeners {
		ls = append(ls, l)
	}
	b.mu.Unlock()
	for _, l := range ls {
		select {
		case l.ch <- ev:
		case <-ctx.Done():
			return fmt.Errorf("wssec: publish session event: %w", ctx.Err())
		}
	}
	return nil
}

// Listen implements SessionBus: resync once, then deliver until ctx is done.
func (b *LocalBus) Listen(ctx context.Context, deliver func(SessionEvent), resync func()) error {
	l := &localListener{ch: make(chan SessionEvent, localBuffer)}
	b.mu.Lock()
	if b.listeners == nil {
		b.listeners = make(map[*localListener]struct{})
	}
	b.listeners[l] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.listeners, l)
		b.mu.Unlock()
	}()
	resync()
	for {
		select {
		case ev := <-l.ch:
			deliver(ev)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Revoke closes (4403, ev.Reason()) every live connection ev matches and
// returns how many it closed. It is what a SessionBus listener delivers to.
func (s *Sessions) Revoke(ev SessionEvent) int {
	if ev.Validate() != nil {
		return 0
	}
	return s.CloseWhere(CloseForbidden, ev.Reason(), ErrSessionRevoked, ev.Matches)
}

// Recheck runs check for the Principal of every live authenticated
// connection and closes (4403, "session revoked") those it refuses: call it
// when revocations may have been missed, as a SessionBus does through
// resync after a reconnection. An error wrapping auth.ErrUnavailable (the
// store cannot answer) leaves the connection open: a store outage must
// not drop every caller at once; any other error closes it. Connections
// sharing a Principal are checked once. It returns how many it closed.
func (s *Sessions) Recheck(ctx context.Context, check func(context.Context, *auth.Principal) error) int {
	verdict := map[*auth.Principal]bool{} // principal → revoked
	n := 0
	for _, c := range s.snapshot() {
		p := c.Principal()
		if p == nil {
			continue
		}
		revoked, seen := verdict[p]
		if !seen {
			err := check(ctx, p)
			revoked = err != nil && !errors.Is(err, auth.ErrUnavailable)
			verdict[p] = revoked
		}
		if revoked {
			n++
			go func() { _ = c.closeWith(CloseForbidden, "session revoked", ErrSessionRevoked) }()
		}
	}
	return n
}

// Follow connects s to bus until ctx is done: events close the connections
// they match (Revoke) and every (re)connection of the bus re-checks the
// live connections with check (Recheck). It returns ctx's error once the
// bus has stopped. Run it on its own goroutine and wait for it at
// shutdown.
func (s *Sessions) Follow(ctx context.Context, bus SessionBus, check func(context.Context, *auth.Principal) error) error {
	return bus.Listen(ctx, func(ev SessionEvent) { s.Revoke(ev) }, func() {
		if check != nil {
			s.Recheck(ctx, check)
		}
	})
}
