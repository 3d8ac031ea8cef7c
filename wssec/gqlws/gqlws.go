package gqlws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"sync"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/microcosm-cc/bluemonday"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/wssec"
)

// Subprotocol is the only WebSocket subprotocol a Transport serves.
const Subprotocol = "graphql-transport-ws"

// DefaultMaxSubscriptions is the default cap on concurrent subscriptions of
// one connection.
const DefaultMaxSubscriptions = 100

// Sentinel errors.
var (
	// ErrProtocol means the client broke the graphql-transport-ws protocol;
	// the connection was closed with the matching 44xx code.
	ErrProtocol = errors.New("gqlws: protocol violation")
)

// Options configures a Transport.
type Options struct {
	// Options holds the wssec guards; see wssec.Options for defaults.
	// DeferAuth is always on (the credential may come in connection_init),
	// and Sanitizer must be left nil: see VariablesPolicy.
	wssec.Options

	// VariablesPolicy sanitises the string values of the variables of each
	// subscribe message (the GraphQL document itself is never touched:
	// sanitising it would break it). nil = bluemonday's strict policy.
	// wssec.Options.InsecureNoSanitize turns it off, leaving sanitisation to
	// the schema's directives (@sanitize).
	VariablesPolicy *bluemonday.Policy

	// MaxSubscriptions caps the concurrent subscriptions of one connection;
	// one more closes the connection with 1008. Default 100; rampart.Unlimited
	// turns it off.
	MaxSubscriptions int

	// InitFunc, if set, runs after the caller is authenticated, with the
	// Principal in ctx (auth.PrincipalFrom) and the init payload stripped of
	// its credential. An error closes the connection with 4403. The
	// returned payload, if any, is sent with connection_ack.
	InitFunc transport.WebsocketInitFunc
}

// Transport is a gqlgen transport.WebsocketImplementation with wssec's
// guards and graphql-transport-ws close codes. Build it with New and add
// Transport.Websocket() to a handler.Server.
type Transport struct {
	up       *wssec.Upgrader
	o        Options
	san      *wssec.JSONSanitizer
	pending  sync.Map // request context -> *conn, until InitFunc claims it
	fields   sync.Map // reflect.Type -> [2]int: indices of Type and ID
	maxSubs  int
	initFunc transport.WebsocketInitFunc
	log      *slog.Logger
}

var _ transport.WebsocketImplementation = (*Transport)(nil)

// New validates o and returns a Transport.
func New(o Options) (*Transport, error) {
	if o.Sanitizer != nil {
		return nil, fmt.Errorf("%w: wssec/gqlws: set VariablesPolicy, not Sanitizer: a GraphQL document must not be sanitised", rampart.ErrConfig)
	}
	switch {
	case o.MaxSubscriptions == 0:
		o.MaxSubscriptions = DefaultMaxSubscriptions
	case o.MaxSubscriptions < rampart.Unlimited:
		return nil, fmt.Errorf("%w: wssec/gqlws: MaxSubscriptions %d", rampart.ErrConfig, o.MaxSubscriptions)
	}
	t := &Transport{o: o, maxSubs: o.MaxSubscriptions, initFunc: o.InitFunc, log: o.Logger}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	wo := o.Options
	wo.DeferAuth = true
	if !wo.InsecureNoSanitize {
		t.san = wssec.NewJSONSanitizer(o.VariablesPolicy)
	}
	// The Transport sanitises the variables itself, on the message it
	// decodes once (see conn.check); wssec hands it the bytes as read.
	wo.InsecureNoSanitize = true
	up, err := wssec.New(wo)
	if err != nil {
		return nil, fmt.Errorf("gqlws: %w", err)
	}
	t.up = up
	return t, nil
}

// Websocket returns a gqlgen transport using t, ready for
// handler.Server.AddTransport. Its InitFunc is t.InitFunc; gqlgen's own init
// timeout, read limit and keepalives are left off because t enforces its
// own. Set CloseFunc or ErrorFunc on the result if needed; keep
// Implementation and InitFunc.
func (t *Transport) Websocket() transport.Websocket {
	return transport.Websocket{Implementation: t, InitFunc: t.InitFunc}
}

// Accept implements transport.WebsocketImplementation. It negotiates only
// graphql-transport-ws. When the upgrade is refused (origin, credential,
// caps, subprotocol) the refusal has already been written to w; Accept then
// returns a connection that is already closed instead of an error, so that
// gqlgen does not write a second response over it.
func (t *Transport) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	wc, err := t.up.AcceptWith(w, r, wssec.AcceptOptions{
		Subprotocols:       []string{Subprotocol},
		RequireSubprotocol: true,
		RequireInit:        true,
		ResponseHeader:     opts.ResponseHeader,
	})
	if err != nil {
		return refusedConn{}, nil
	}
	c := &conn{t: t, wc: wc, key: r.Context(), active: map[string]struct{}{}}
	t.pending.Store(c.key, c)
	context.AfterFunc(wc.Context(), func() {
		t.pending.CompareAndDelete(c.key, c)
		c.mu.Lock()
		n := len(c.active)
		c.active = map[string]struct{}{}
		c.mu.Unlock()
		t.o.Telemetry.WSSubscriptions(context.Background(), -int64(n))
	})
	return c, nil
}

// InitFunc is the transport.WebsocketInitFunc for connections accepted by
// t: it returns ctx carrying the Principal that connection_init (or the
// handshake) authenticated, then runs Options.InitFunc. Authentication
// itself has already happened when gqlgen calls it; a refused credential
// never reaches it.
func (t *Transport) InitFunc(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	v, ok := t.pending.LoadAndDelete(ctx)
	if !ok {
		// Not one of ours: gqlgen was wired with another Implementation.
		return transport.WithWebsocketCloseCode(ctx, int(CloseForbidden)), nil,
			fmt.Errorf("gqlws: connection not accepted by this Transport")
	}
	c := v.(*conn)
	ctx = auth.WithPrincipal(ctx, c.wc.Principal())
	if t.initFunc == nil {
		return ctx, nil, nil
	}
	nctx, ack, err := t.initFunc(ctx, payload)
	if nctx == nil {
		nctx = ctx
	}
	if err != nil {
		_ = c.wc.Close(CloseForbidden, reasonForbidden)
		return transport.WithWebsocketCloseCode(nctx, int(CloseForbidden)), nil, err
	}
	return nctx, ack, nil
}

// conn is one guarded graphql-transport-ws connection.
type conn struct {
	t   *Transport
	wc  *wssec.Conn
	key context.Context

	mu        sync.Mutex
	initSeen  bool
	acked     bool
	active    map[string]struct{}
	closing   bool
	closeDone chan struct{}
}

var _ transport.WebsocketConn = (*conn)(nil)

// NextReader reads the next message and checks it against the protocol
// before gqlgen sees it. wssec.Conn.Read applies the size and rate limits;
// check decodes the message once, enforces the protocol and sanitises a
// subscribe's variables; gqlgen then decodes the bytes returned here (its
// WebsocketConn interface takes an io.Reader, so it cannot be handed the
// decoded message).
func (c *conn) NextReader() (int, io.Reader, error) {
	typ, data, err := c.wc.Read(context.Background()) // closing the connection ends the read
	if err != nil {
		switch websocket.CloseStatus(err) {
		case websocket.StatusNormalClosure, websocket.StatusNoStatusRcvd:
			return 0, nil, transport.ErrWebsocketClosed
		}
		return 0, nil, err
	}
	if typ != websocket.MessageText {
		return 0, nil, c.violation(CloseBadRequest, reasonBadRequest, "binary message")
	}
	data, err = c.check(data)
	if err != nil {
		return 0, nil, err
	}
	return int(typ), bytes.NewReader(data), nil
}

// check decodes one incoming message (the only time the Transport decodes
// it), enforces the protocol state machine on it and returns the bytes
// gqlgen should see: data itself, or a copy with the credential removed
// (connection_init) or the variables sanitised (subscribe).
func (c *conn) check(data []byte) ([]byte, error) {
	m, err := decode(data)
	if err != nil || m.Type == "" {
		return nil, c.violation(CloseBadRequest, reasonBadRequest, "malformed JSON envelope")
	}
	switch m.Type {
	case msgConnectionInit:
		return c.init(data, m)
	case msgSubscribe:
		if !c.isAcked() {
			return nil, c.violation(CloseUnauthorized, reasonUnauthorized, "subscribe before connection_ack")
		}
		if m.ID == nil || *m.ID == "" || m.Payload.query == nil {
			return nil, c.violation(CloseBadRequest, reasonBadRequest, "subscribe without id or query")
		}
		if m.Payload.variablesRepeated {
			return nil, c.violation(CloseBadRequest, reasonBadRequest, "subscribe with repeated variables")
		}
		c.mu.Lock()
		_, dup := c.active[*m.ID]
		over := c.t.maxSubs != rampart.Unlimited && len(c.active) >= c.t.maxSubs
		if !dup && !over {
			c.active[*m.ID] = struct{}{}
		}
		c.mu.Unlock()
		if !dup && !over {
			c.t.o.Telemetry.WSSubscriptions(c.wc.Context(), 1)
		}
		if dup {
			return nil, c.violation(CloseSubscriberExists, subscriberExists(*m.ID), "duplicate subscription id")
		}
		if over {
			return nil, c.violation(wssec.CloseRateLimited, reasonTooManySubscribers, "subscription cap")
		}
		return c.t.sanitize(data, &m), nil
	case msgComplete:
		if m.ID == nil {
			return nil, c.violation(CloseBadRequest, reasonBadRequest, "complete without id")
		}
		c.drop(*m.ID)
	case msgPing, msgPong:
	default: // unknown, or a server-to-client type
		return nil, c.violation(CloseBadRequest, reasonBadRequest, "unexpected message type")
	}
	return data, nil
}

// subscriberExists is the graphql-transport-ws reason for 4409, bounded to
// fit a close frame.
func subscriberExists(id string) string {
	const maxID = 64
	if len(id) > maxID {
		id = id[:maxID]
	}
	return "Subscriber for " + string(bytes.ToValidUTF8([]byte(id), nil)) + " already exists"
}

// init authenticates connection_init and hands gqlgen the message with the
// credential removed from its payload.
func (c *conn) init(data []byte, m inbound) ([]byte, error) {
	c.mu.Lock()
	again := c.initSeen
	c.initSeen = true
	c.mu.Unlock()
	if again {
		return nil, c.violation(CloseTooManyInitRequests, reasonTooManyInit, "second connection_init")
	}
	cred, rest, err := CredentialFromInitPayload(m.Payload.raw)
	if err != nil {
		// The error names the payload keys, never the credential.
		c.t.log.InfoContext(c.wc.Context(), "gqlws: connection_init credential refused", "err", err)
		_ = c.wc.Close(CloseForbidden, reasonForbidden)
		return nil, fmt.Errorf("gqlws: connection_init: %w", err)
	}
	if _, err := c.wc.Authenticate(c.wc.Context(), cred); err != nil {
		return nil, fmt.Errorf("gqlws: connection_init: %w", err)
	}
	if cred.Value == "" {
		return data, nil
	}
	out, err := json.Marshal(map[string]any{"type": msgConnectionInit, "payload": rest})
	if err != nil {
		return nil, c.violation(CloseBadRequest, reasonBadRequest, "connection_init payload")
	}
	return out, nil
}

func (c *conn) isAcked() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.acked
}

// violation closes the connection with code and returns an error wrapping
// ErrProtocol.
func (c *conn) violation(code websocket.StatusCode, reason, why string) error {
	_ = c.wc.Close(code, reason)
	return fmt.Errorf("%w: %s (closed %d)", ErrProtocol, why, code)
}

// drop ends subscription id, if active.
func (c *conn) drop(id string) {
	c.mu.Lock()
	_, ok := c.active[id]
	delete(c.active, id)
	c.mu.Unlock()
	if ok {
		c.t.o.Telemetry.WSSubscriptions(context.Background(), -1)
	}
}

// WriteJSON sends a message, tracking connection_ack and the end of
// subscriptions (complete, error) so that ids can be reused.
func (c *conn) WriteJSON(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("gqlws: %w", err)
	}
	typ, id := c.t.messageTypeID(v, data)
	c.mu.Lock()
	if typ == msgConnectionAck {
		c.acked = true
	}
	c.mu.Unlock()
	if typ == msgComplete || typ == msgError {
		c.drop(id)
	}
	return c.wc.Write(context.Background(), websocket.MessageText, data) // bounded by the connection
}

// messageTypeID reads the type and id of an outgoing message: from the
// struct gqlgen passes when it has string fields Type and ID (their indices
// cached per type), else from the encoded JSON.
func (t *Transport) messageTypeID(v any, data []byte) (typ, id string) {
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() == reflect.Struct {
		idx, ok := t.fields.Load(rv.Type())
		if !ok {
			idx = typeIDFields(rv.Type())
			t.fields.Store(rv.Type(), idx)
		}
		if f := idx.([2]int); f[0] >= 0 {
			return rv.Field(f[0]).String(), rv.Field(f[1]).String()
		}
	}
	var m struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	_ = json.Unmarshal(data, &m)
	return m.Type, m.ID
}

// typeIDFields returns the indices of the string fields Type and ID of a
// struct type, or {-1, -1}.
func typeIDFields(rt reflect.Type) [2]int {
	tf, ok1 := rt.FieldByName("Type")
	idf, ok2 := rt.FieldByName("ID")
	if !ok1 || !ok2 || len(tf.Index) != 1 || len(idf.Index) != 1 ||
		tf.Type.Kind() != reflect.String || idf.Type.Kind() != reflect.String {
		return [2]int{-1, -1}
	}
	return [2]int{tf.Index[0], idf.Index[0]}
}

// WriteClose starts the close handshake in the background (coder's Close
// waits for the peer for up to 10 s, and gqlgen calls this while holding
// its own lock). The first close code sent wins: one already sent by a
// guard is not overwritten by gqlgen's generic 1000/1002.
func (c *conn) WriteClose(code int, reason string) error {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return nil
	}
	c.closing = true
	done := make(chan struct{})
	c.closeDone = done
	c.mu.Unlock()
	go func() {
		defer close(done)
		_ = c.wc.Close(websocket.StatusCode(code), reason)
	}()
	return nil
}

// Close closes the connection now unless a close handshake is under way.
func (c *conn) Close() error {
	c.t.pending.CompareAndDelete(c.key, c)
	c.mu.Lock()
	handshake := c.closing
	c.mu.Unlock()
	if handshake {
		return nil
	}
	_ = c.wc.CloseNow()
	return nil
}

// Subprotocol implements transport.WebsocketConn.
func (c *conn) Subprotocol() string { return c.wc.Subprotocol() }

// refusedConn stands for an upgrade that was refused: the response is
// written, so every method is a no-op and reading fails at once.
type refusedConn struct{}

func (refusedConn) Close() error                        { return nil }
func (refusedConn) NextReader() (int, io.Reader, error) { return 0, nil, transport.ErrWebsocketClosed }
func (refusedConn) WriteJSON(any) error                 { return transport.ErrWebsocketClosed }
func (refusedConn) WriteClose(int, string) error        { return nil }
func (refusedConn) Subprotocol() string                 { return Subprotocol }
