package gqlws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/wssec"
	"github.com/rampart-go/rampart/wssec/gqlws"
)

var t0 = time.Now().Truncate(time.Second)

const (
	testIssuer   = "https://issuer.test"
	testAudience = "rampart-ws-test"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func jwtConfig(now func() time.Time) jwt.Config {
	return jwt.Config{
		Issuer: testIssuer, Audience: testAudience,
		Keys: []jwt.Key{{Algorithm: jwt.AlgHS256, Secret: testSecret}}, Now: now,
	}
}

func verifier(t testing.TB, now func() time.Time) *jwt.Verifier {
	t.Helper()
	v, err := jwt.NewVerifier(jwtConfig(now))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func token(t testing.TB, subject string, issuedAt time.Time) string {
	t.Helper()
	iss, err := jwt.NewIssuer(jwtConfig(func() time.Time { return issuedAt }))
	if err != nil {
		t.Fatal(err)
	}
	at, err := iss.Issue(auth.Principal{Subject: subject})
	if err != nil {
		t.Fatal(err)
	}
	return at.Token
}

func algNoneToken(t testing.TB, subject string) string {
	t.Helper()
	tok := gojwt.NewWithClaims(gojwt.SigningMethodNone, gojwt.RegisteredClaims{
		Issuer: testIssuer, Audience: gojwt.ClaimStrings{testAudience}, Subject: subject,
		IssuedAt: gojwt.NewNumericDate(t0), ExpiresAt: gojwt.NewNumericDate(t0.Add(10 * time.Minute)), ID: "none",
	})
	tok.Header["typ"] = jwt.AccessTokenType
	s, err := tok.SignedString(gojwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Broker fans events out to every active "events" subscription.
type Broker struct {
	mu   sync.Mutex
	subs map[chan string]struct{}
}

func NewBroker() *Broker { return &Broker{subs: map[chan string]struct{}{}} }

// Publish delivers ev to every subscriber.
func (b *Broker) Publish(ev string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- ev:
		default: // a slow subscriber drops events rather than block the broker
		}
	}
}

// Subscribers reports how many subscriptions are active.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

func (b *Broker) subscribe() (chan string, func()) {
	ch := make(chan string, 64)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	return ch, func() {
		b.mu.Lock()
		delete(b.subs, ch)
		b.mu.Unlock()
	}
}

const testSchema = `
type Query { name: String! }
type Subscription {
  "events streams broker events, each suffixed with |room"
  events(room: String): String!
  "whoami sends the subject of the authenticated caller once"
  whoami: String!
}`

// NewSchema returns a gqlgen executable schema without code generation:
// Subscription.events relays the broker's events and Subscription.whoami
// reports the Principal in the resolver context.
func NewSchema(b *Broker) graphql.ExecutableSchema {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSchema})
	return &graphql.ExecutableSchemaMock{
		SchemaFunc:     func() *ast.Schema { return schema },
		ComplexityFunc: func(context.Context, string, string, int, map[string]any) (int, bool) { return 1, true },
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			op := graphql.GetOperationContext(ctx)
			if op.Operation.Operation != ast.Subscription {
				return graphql.OneShot(&graphql.Response{Data: []byte(`{"name":"test"}`)})
			}
			field := op.Operation.SelectionSet[0].(*ast.Field)
			switch field.Name {
			case "whoami":
				p, _ := auth.PrincipalFrom(ctx)
				sent := false
				return func(ctx context.Context) *graphql.Response {
					if sent {
						<-ctx.Done()
						return nil
					}
					sent = true
					subject := "anonymous"
					if p != nil {
						subject = p.Subject
					}
					data, _ := json.Marshal(map[string]string{field.Alias: subject})
					return &graphql.Response{Data: data}
				}
			default:
				room, _ := field.ArgumentMap(op.Variables)["room"].(string)
				ch, unsubscribe := b.subscribe()
				context.AfterFunc(ctx, unsubscribe)
				return func(rctx context.Context) *graphql.Response {
					select {
					case <-ctx.Done():
						return nil
					case ev := <-ch:
						data, _ := json.Marshal(map[string]string{field.Alias: ev + "|" + room})
						return &graphql.Response{Data: data}
					}
				}
			}
		},
	}
}

// newGraphQLServer serves a gqlgen handler.Server with t's transport on a
// real listener.
func newGraphQLServer(t testing.TB, o gqlws.Options) (*httptest.Server, *Broker) {
	t.Helper()
	tr, err := gqlws.New(o)
	if err != nil {
		t.Fatal(err)
	}
	b := NewBroker()
	srv := handler.New(NewSchema(b))
	srv.AddTransport(tr.Websocket())
	srv.AddTransport(transport.POST{})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return hs, b
}

func wsURL(s *httptest.Server) string { return "ws" + strings.TrimPrefix(s.URL, "http") }

// client is a hand-written graphql-transport-ws client.
type client struct {
	t testing.TB
	c *websocket.Conn
}

func dialGQL(t testing.TB, s *httptest.Server, header http.Header) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, wsURL(s), &websocket.DialOptions{
		Subprotocols: []string{gqlws.Subprotocol}, HTTPHeader: header,
	})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: status %d: %v", status, err)
	}
	c.SetReadLimit(-1)
	t.Cleanup(func() { c.CloseNow() })
	return &client{t: t, c: c}
}

func (c *client) sendRaw(s string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = c.c.Write(ctx, websocket.MessageText, []byte(s)) // may fail once the server closed
}

func (c *client) send(v any) {
	c.t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(string(data))
}

type msg struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (c *client) read() msg {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, data, err := c.c.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var m msg
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Fatalf("bad server message %s: %v", data, err)
	}
	return m
}

func (c *client) expect(typ string) msg {
	c.t.Helper()
	m := c.read()
	if m.Type != typ {
		c.t.Fatalf("got %s %s, want %s", m.Type, m.Payload, typ)
	}
	return m
}

// init sends connection_init with payload and waits for the ack.
func (c *client) init(payload any) {
	c.t.Helper()
	c.send(map[string]any{"type": "connection_init", "payload": payload})
	c.expect("connection_ack")
}

func (c *client) subscribe(id, query string, vars map[string]any) {
	c.t.Helper()
	c.send(map[string]any{"type": "subscribe", "id": id, "payload": map[string]any{"query": query, "variables": vars}})
}

// closeCode reads until the connection ends and returns the close code the
// client received.
func (c *client) closeCode() websocket.StatusCode {
	c.t.Helper()
	return c.closeError().Code
}

// closeError reads until the connection ends and returns the close frame the
// client received (Code -1 when none).
func (c *client) closeError() websocket.CloseError {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		_, _, err := c.c.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				c.t.Fatal("timed out waiting for the server to close")
			}
			var ce websocket.CloseError
			if !errors.As(err, &ce) {
				ce.Code = -1
			}
			return ce
		}
	}
}

func bearerInit(tok string) map[string]any { return map[string]any{"Authorization": "Bearer " + tok} }

func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func defaultOptions(t testing.TB) gqlws.Options {
	return gqlws.Options{Options: wssec.Options{Authenticator: verifier(t, nil)}}
}

var _ = fmt.Sprint

func newHandler(b *Broker, tr *gqlws.Transport) http.Handler {
	srv := handler.New(NewSchema(b))
	srv.AddTransport(tr.Websocket())
	return srv
}

func newServer(h http.Handler) *httptest.Server { return httptest.NewServer(h) }
