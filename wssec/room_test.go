package wssec_test

import (
	"context"
	"sync"

	"github.com/coder/websocket"

	"github.com/rampart-go/rampart/wssec"
)

// Room is a tiny chat room: every message a member sends is broadcast to
// the other members. Messages arrive already size-checked, rate-limited and
// sanitised by wssec.Conn, so Room itself has no security code.
type Room struct {
	mu      sync.Mutex
	members map[*wssec.Conn]struct{}
}

// NewRoom returns an empty room.
func NewRoom() *Room { return &Room{members: map[*wssec.Conn]struct{}{}} }

// Serve is a handler for wssec.Upgrader.Handler: it joins c to the room
// until c fails.
func (r *Room) Serve(ctx context.Context, c *wssec.Conn) {
	r.mu.Lock()
	r.members[c] = struct{}{}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.members, c)
		r.mu.Unlock()
	}()
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		r.broadcast(ctx, c, typ, data)
	}
}

// Len reports how many members the room has.
func (r *Room) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.members)
}

func (r *Room) broadcast(ctx context.Context, from *wssec.Conn, typ websocket.MessageType, data []byte) {
	r.mu.Lock()
	to := make([]*wssec.Conn, 0, len(r.members))
	for m := range r.members {
		if m != from {
			to = append(to, m)
		}
	}
	r.mu.Unlock()
	for _, m := range to {
		_ = m.Write(ctx, typ, data)
	}
}
