package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"

	"github.com/coder/websocket"

	"github.com/rampart-go/rampart/wssec"
)

// chatSubprotocol is the application subprotocol /chat negotiates. A
// browser, which cannot set Authorization on a WebSocket, offers it next to
// its token: new WebSocket(url, ["chat", "bearer." + token]). The server
// echoes "chat", never the token; "bearer.<token>" alone is refused (400).
// Other clients may send Authorization: Bearer <token> and no subprotocol.
const chatSubprotocol = "chat"

// chatRoom is the demo's live chat on wssec's plain face: every text message
// a member sends arrives, already size-checked, rate-limited and sanitized
// by wssec, at every member as {"from": subject, "text": ...}.
type chatRoom struct {
	log     *slog.Logger
	mu      sync.Mutex
	members map[*wssec.Conn]chan []byte
}

func newChatRoom(log *slog.Logger) *chatRoom {
	return &chatRoom{log: log, members: make(map[*wssec.Conn]chan []byte)}
}

// chatMessage is what members receive.
type chatMessage struct {
	From string `json:"from"`
	Text string `json:"text"`
}

// memberBuffer is how far a member may lag before it is disconnected.
const memberBuffer = 32

// serve runs one member until its connection ends.
func (room *chatRoom) serve(ctx context.Context, c *wssec.Conn) {
	out := make(chan []byte, memberBuffer)
	room.mu.Lock()
	room.members[c] = out
	room.mu.Unlock()
	defer func() {
		room.mu.Lock()
		delete(room.members, c)
		room.mu.Unlock()
	}()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case msg := <-out:
				if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
					cancel()
					return
				}
			}
		}
	}()

	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			return // wssec has closed the connection with the fitting code
		}
		if typ != websocket.MessageText {
			_ = c.Close(websocket.StatusUnsupportedData, "text messages only")
			return
		}
		text := string(data)
		var in struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(data, &in) == nil && in.Text != "" {
			text = in.Text
		}
		msg, _ := json.Marshal(chatMessage{From: c.Principal().Subject, Text: text})
		room.broadcast(msg)
	}
}

// broadcast queues msg for every member; a member whose queue is full is
// too slow and is dropped rather than slowing the room.
func (room *chatRoom) broadcast(msg []byte) {
	room.mu.Lock()
	defer room.mu.Unlock()
	for c, out := range room.members {
		select {
		case out <- msg:
		default:
			go c.Close(websocket.StatusPolicyViolation, "too slow")
		}
	}
}

// handler serves the room on a wssec upgrader.
func (room *chatRoom) handler(up *wssec.Upgrader) http.Handler {
	return up.Handler(room.serve)
}
