package gqlws_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/wssec"
	"github.com/rampart-go/rampart/wssec/gqlws"

	"github.com/rampart-go/rampart/internal/golden"
)

const eventsQuery = `subscription($room: String) { events(room: $room) }`

func TestNew_misconfiguration(t *testing.T) {
	t.Parallel()
	cases := map[string]gqlws.Options{
		"no_authenticator":        {},
		"sanitizer_would_break_q": {Options: wssec.Options{Authenticator: verifier(t, nil), Sanitizer: wssec.NewJSONSanitizer(nil)}},
		"negative_subscriptions":  {Options: wssec.Options{Authenticator: verifier(t, nil)}, MaxSubscriptions: -3},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := gqlws.New(o); err == nil {
				t.Fatal("New accepted a misconfiguration")
			}
		})
	}
}

func TestSubscription_happyPath(t *testing.T) {
	t.Parallel()
	s, b := newGraphQLServer(t, defaultOptions(t))
	c := dialGQL(t, s, nil)
	c.init(bearerInit(token(t, "alice", t0)))

	c.subscribe("who", `subscription { whoami }`, nil)
	if m := c.expect("next"); string(m.Payload) != `{"data":{"whoami":"alice"}}` {
		t.Fatalf("whoami: %s", m.Payload)
	}
	c.subscribe("1", eventsQuery, map[string]any{"room": "<b onmouseover=alert(1)>lobby</b>"})
	eventually(t, "subscription", func() bool { return b.Subscribers() == 1 })
	b.Publish("hello")
	if m := c.expect("next"); m.ID != "1" || string(m.Payload) != `{"data":{"events":"hello|lobby"}}` {
		t.Fatalf("event: %s %s (variables must arrive sanitised)", m.ID, m.Payload)
	}
	// complete, then reuse the id: allowed once the subscription ended.
	c.send(map[string]any{"type": "complete", "id": "1"})
	eventually(t, "unsubscribe", func() bool { return b.Subscribers() == 0 })
	c.subscribe("1", eventsQuery, map[string]any{"room": "lobby"})
	eventually(t, "resubscription", func() bool { return b.Subscribers() == 1 })
	b.Publish("again")
	m := c.read()
	if m.Type == "complete" && m.ID == "1" { // gqlgen also completes a subscription the client completed
		m = c.read()
	}
	if string(m.Payload) != `{"data":{"events":"again|lobby"}}` {
		t.Fatalf("event: %s", m.Payload)
	}
	c.send(map[string]any{"type": "ping"})
	c.expect("pong")
}

func TestSubscription_handshakeCredentials(t *testing.T) {
	t.Parallel()
	s, _ := newGraphQLServer(t, defaultOptions(t))
	tok := token(t, "bob", t0)
	for name, dial := range map[string]func() *client{
		"authorization_header": func() *client {
			return dialGQL(t, s, http.Header{"Authorization": {"Bearer " + tok}})
		},
		"bearer_subprotocol": func() *client {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, wsURL(s), &websocket.DialOptions{Subprotocols: []string{gqlws.Subprotocol, "bearer." + tok}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.CloseNow() })
			if c.Subprotocol() != gqlws.Subprotocol {
				t.Fatalf("negotiated %q", c.Subprotocol())
			}
			return &client{t: t, c: c}
		},
		"token_key_in_init": func() *client {
			c := dialGQL(t, s, nil)
			c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"token": tok}})
			return c
		},
	} {
		t.Run(name, func(t *testing.T) {
			c := dial()
			if name != "token_key_in_init" {
				c.send(map[string]any{"type": "connection_init"})
			}
			c.expect("connection_ack")
			c.subscribe("w", `subscription { whoami }`, nil)
			if m := c.expect("next"); string(m.Payload) != `{"data":{"whoami":"bob"}}` {
				t.Fatalf("whoami: %s", m.Payload)
			}
		})
	}
}

// TestCloseCodes drives each protocol violation and asserts the close code
// the client receives.
func TestCloseCodes(t *testing.T) {
	t.Parallel()
	o := defaultOptions(t)
	o.InitTimeout = time.Second
	o.MaxSubscriptions = 2
	s, _ := newGraphQLServer(t, o)
	alice := token(t, "alice", t0)
	acked := func(c *client) { c.init(bearerInit(alice)) }
	cases := []struct {
		name string
		run  func(c *client)
		want websocket.StatusCode
	}{
		{"no_connection_init_4408", func(c *client) {}, gqlws.CloseInitTimeout},
		{"subscribe_before_ack_4401", func(c *client) { c.subscribe("1", eventsQuery, nil) }, gqlws.CloseUnauthorized},
		{"duplicate_subscription_id_4409", func(c *client) {
			acked(c)
			c.subscribe("dup", eventsQuery, nil)
			c.subscribe("dup", eventsQuery, nil)
		}, gqlws.CloseSubscriberExists},
		{"subscriptions_at_cap_then_one_past_1008", func(c *client) {
			acked(c)
			c.subscribe("a", eventsQuery, nil)
			c.subscribe("b", eventsQuery, nil) // at the cap
			c.subscribe("c", eventsQuery, nil)
		}, wssec.CloseRateLimited},
		{"malformed_json_4400", func(c *client) { c.sendRaw(`{"type":"connection_init"`) }, gqlws.CloseBadRequest},
		{"malformed_json_after_ack_4400", func(c *client) { acked(c); c.sendRaw(`not json`) }, gqlws.CloseBadRequest},
		{"unknown_type_4400", func(c *client) { acked(c); c.sendRaw(`{"type":"start","id":"1"}`) }, gqlws.CloseBadRequest},
		{"server_type_from_client_4400", func(c *client) { acked(c); c.sendRaw(`{"type":"next","id":"1"}`) }, gqlws.CloseBadRequest},
		{"subscribe_without_id_4400", func(c *client) {
			acked(c)
			c.sendRaw(`{"type":"subscribe","payload":{"query":"subscription{whoami}"}}`)
		}, gqlws.CloseBadRequest},
		{"subscribe_repeated_variables_4400", func(c *client) {
			acked(c)
			c.sendRaw(`{"type":"subscribe","id":"1","payload":{"query":"subscription{whoami}","variables":{"a":"<b>x</b>"},"Variables":{}}}`)
		}, gqlws.CloseBadRequest},
		{"binary_message_4400", func(c *client) {
			_ = c.c.Write(context.Background(), websocket.MessageBinary, []byte(`{"type":"ping"}`))
		}, gqlws.CloseBadRequest},
		{"second_connection_init_4429", func(c *client) {
			acked(c)
			c.send(map[string]any{"type": "connection_init", "payload": bearerInit(alice)})
		}, gqlws.CloseTooManyInitRequests},
		{"init_without_token_4403", func(c *client) { c.send(map[string]any{"type": "connection_init"}) }, gqlws.CloseForbidden},
		{"init_invalid_token_4403", func(c *client) {
			c.send(map[string]any{"type": "connection_init", "payload": bearerInit("abc.def.ghi")})
		}, gqlws.CloseForbidden},
		{"init_expired_token_4403", func(c *client) {
			c.send(map[string]any{"type": "connection_init", "payload": bearerInit(token(t, "alice", t0.Add(-time.Hour)))})
		}, gqlws.CloseForbidden},
		{"init_alg_none_token_4403", func(c *client) {
			c.send(map[string]any{"type": "connection_init", "payload": bearerInit(algNoneToken(t, "alice"))})
		}, gqlws.CloseForbidden},
		{"init_conflicting_credentials_4403", func(c *client) {
			c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"token": alice, "Authorization": "Bearer " + token(t, "bob", t0)}})
		}, gqlws.CloseForbidden},
		{"init_payload_not_object_4403", func(c *client) {
			c.send(map[string]any{"type": "connection_init", "payload": []string{alice}})
		}, gqlws.CloseForbidden},
		{"message_of_1MiB_1009", func(c *client) {
			acked(c)
			c.sendRaw(`{"type":"ping","payload":{"x":"` + strings.Repeat("a", 1<<20) + `"}}`)
		}, wssec.CloseMessageTooBig},
	}
	var mu sync.Mutex
	seen := map[string]string{}
	t.Run("cases", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				c := dialGQL(t, s, nil)
				tc.run(c)
				ce := c.closeError()
				if ce.Code != tc.want {
					t.Fatalf("close code %d (%q), want %d", ce.Code, ce.Reason, tc.want)
				}
				mu.Lock()
				seen[tc.name] = fmt.Sprintf("%d %s", int(ce.Code), ce.Reason)
				mu.Unlock()
			})
		}
	})
	// What the client sees, code and reason, is pinned in a golden file.
	var got strings.Builder
	for _, tc := range cases {
		fmt.Fprintf(&got, "%s: %s\n", tc.name, seen[tc.name])
	}
	golden.Check(t, "close_codes", []byte(got.String()))
}

// TestCloseCodeNumbers pins the numbers of the protocol's close codes
// (graphql-transport-ws clients act on them).
func TestCloseCodeNumbers(t *testing.T) {
	t.Parallel()
	for code, want := range map[websocket.StatusCode]int{
		gqlws.CloseBadRequest:          4400,
		gqlws.CloseUnauthorized:        4401,
		gqlws.CloseForbidden:           4403,
		gqlws.CloseInitTimeout:         4408,
		gqlws.CloseSubscriberExists:    4409,
		gqlws.CloseTooManyInitRequests: 4429,
		wssec.CloseRateLimited:         1008,
	} {
		if int(code) != want {
			t.Errorf("close code %d, want %d", int(code), want)
		}
	}
}

func TestUpgrade_refusedBeforeUpgrade(t *testing.T) {
	t.Parallel()
	s, _ := newGraphQLServer(t, defaultOptions(t))
	tok := token(t, "alice", t0)
	cases := []struct {
		name   string
		header http.Header
		protos []string
		want   int
		body   string
	}{
		{"foreign_origin_403", http.Header{"Origin": {"https://evil.test"}, "Authorization": {"Bearer " + tok}}, []string{gqlws.Subprotocol}, 403, wssec.CodeOriginNotAllowed},
		{"legacy_subprotocol_only_400", nil, []string{"graphql-ws"}, 400, wssec.CodeSubprotocolRequired},
		{"no_subprotocol_400", nil, nil, 400, wssec.CodeSubprotocolRequired},
		{"invalid_handshake_token_401", http.Header{"Authorization": {"Bearer nope"}}, []string{gqlws.Subprotocol}, 401, rampart.CodeUnauthenticated},
		{"same_origin_passes", http.Header{"Origin": {s.URL}}, []string{gqlws.Subprotocol}, 101, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, resp, err := websocket.Dial(ctx, wsURL(s), &websocket.DialOptions{HTTPHeader: tc.header, Subprotocols: tc.protos})
			if tc.want == 101 {
				if err != nil {
					t.Fatal(err)
				}
				c.CloseNow()
				return
			}
			if err == nil || resp == nil {
				t.Fatalf("upgrade not refused: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.want || strings.TrimSpace(string(body)) != tc.body {
				t.Fatalf("status %d body %q, want %d %q", resp.StatusCode, body, tc.want, tc.body)
			}
		})
	}
}

func TestSubscription_tokenExpiryCloses4401(t *testing.T) {
	t.Parallel()
	clock := func() time.Time { return t0.Add(jwt.DefaultLifetime - time.Second) }
	o := gqlws.Options{Options: wssec.Options{Authenticator: verifier(t, clock), Now: clock}}
	s, b := newGraphQLServer(t, o)
	c := dialGQL(t, s, nil)
	c.init(bearerInit(token(t, "alice", t0)))
	c.subscribe("1", eventsQuery, nil)
	eventually(t, "subscription", func() bool { return b.Subscribers() == 1 })
	if got := c.closeCode(); got != gqlws.CloseUnauthorized {
		t.Fatalf("close code %d, want 4401", got)
	}
	eventually(t, "subscription ended with the connection", func() bool { return b.Subscribers() == 0 })
}

// TestFlood_limitedWhileOthersKeepReceiving: one connection floods 2000
// messages as fast as it can; it is closed with 1008 while another caller's
// subscription keeps receiving every event.
func TestFlood_limitedWhileOthersKeepReceiving(t *testing.T) {
	t.Parallel()
	s, b := newGraphQLServer(t, defaultOptions(t))
	victim := dialGQL(t, s, nil)
	victim.init(bearerInit(token(t, "alice", t0)))
	victim.subscribe("1", eventsQuery, map[string]any{"room": "r"})
	eventually(t, "subscription", func() bool { return b.Subscribers() == 1 })

	flooder := dialGQL(t, s, nil)
	flooder.init(bearerInit(token(t, "mallory", t0)))
	codes := make(chan websocket.StatusCode, 1)
	go func() { codes <- flooder.closeCode() }()
	go func() {
		for range 2000 {
			if flooder.c.Write(context.Background(), websocket.MessageText, []byte(`{"type":"ping"}`)) != nil {
				return
			}
		}
	}()
	const events = 50
	for i := range events {
		b.Publish(fmt.Sprint(i))
		if m := victim.expect("next"); string(m.Payload) != fmt.Sprintf(`{"data":{"events":"%d|r"}}`, i) {
			t.Fatalf("event %d: %s", i, m.Payload)
		}
	}
	if got := <-codes; got != wssec.CloseRateLimited {
		t.Fatalf("flooder close code %d, want 1008", got)
	}
}

func TestCallerLimiterSharedAcrossConnections(t *testing.T) {
	t.Parallel()
	lim := &budget{left: map[string]int{}}
	o := defaultOptions(t)
	o.CallerLimiter = lim
	o.CallerRate = ratelimit.Rate{Limit: 2, Period: time.Hour, Burst: 2}
	s, _ := newGraphQLServer(t, o)
	tok := token(t, "alice", t0)
	// connection_init is counted against the client IP (the caller is not
	// known yet); later messages against the subject, across connections.
	a, b := dialGQL(t, s, nil), dialGQL(t, s, nil)
	a.init(bearerInit(tok))
	b.init(bearerInit(tok))
	a.send(map[string]any{"type": "ping"})
	a.expect("pong") // alice: 1
	b.send(map[string]any{"type": "ping"})
	b.expect("pong") // alice: 2, at the budget
	b.send(map[string]any{"type": "ping"})
	if got := b.closeCode(); got != wssec.CloseRateLimited {
		t.Fatalf("close code %d, want 1008", got)
	}
}

// budget is an in-test ratelimit.Limiter with a fixed budget per key.
type budget struct {
	mu   sync.Mutex
	left map[string]int
}

func (l *budget) Allow(_ context.Context, key string, r ratelimit.Rate, n int) (ratelimit.Decision, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	used := l.left[key] + n
	if used > r.Burst {
		return ratelimit.Decision{Limit: r.Burst}, nil
	}
	l.left[key] = used
	return ratelimit.Decision{Allowed: true, Limit: r.Burst, Remaining: r.Burst - used}, nil
}

func TestInitFunc_seesPrincipalNotCredential(t *testing.T) {
	t.Parallel()
	type seen struct {
		subject string
		payload transport.InitPayload
	}
	got := make(chan seen, 1)
	o := defaultOptions(t)
	o.InitFunc = func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		pr, _ := auth.PrincipalFrom(ctx)
		got <- seen{pr.Subject, p}
		if p.GetString("client") == "blocked" {
			return ctx, nil, errors.New("client blocked")
		}
		return ctx, &transport.InitPayload{"welcome": pr.Subject}, nil
	}
	s, _ := newGraphQLServer(t, o)
	c := dialGQL(t, s, nil)
	c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token(t, "alice", t0), "client": "web"}})
	if m := c.expect("connection_ack"); string(m.Payload) != `{"welcome":"alice"}` {
		t.Fatalf("ack payload %s", m.Payload)
	}
	sn := <-got
	if sn.subject != "alice" || sn.payload.Authorization() != "" || sn.payload.GetString("client") != "web" {
		t.Fatalf("InitFunc saw subject %q payload %v; the credential must be stripped", sn.subject, sn.payload)
	}

	blocked := dialGQL(t, s, nil)
	blocked.send(map[string]any{"type": "connection_init", "payload": map[string]any{"token": token(t, "bob", t0), "client": "blocked"}})
	<-got
	if code := blocked.closeCode(); code != gqlws.CloseForbidden {
		t.Fatalf("InitFunc error: close code %d, want 4403", code)
	}
}

func TestAnonymousAllowed(t *testing.T) {
	t.Parallel()
	s, _ := newGraphQLServer(t, gqlws.Options{Options: wssec.Options{AllowAnonymous: true}})
	c := dialGQL(t, s, nil)
	c.init(nil)
	c.subscribe("w", `subscription { whoami }`, nil)
	if m := c.expect("next"); string(m.Payload) != `{"data":{"whoami":"anonymous"}}` {
		t.Fatalf("whoami: %s", m.Payload)
	}
}

// TestNoGoroutineOutlivesItsConnection: after clients leave in every way,
// the goroutine count returns to its baseline.
func TestNoGoroutineOutlivesItsConnection(t *testing.T) {
	base := runtime.NumGoroutine()
	func() {
		o := defaultOptions(t)
		o.InitTimeout = 200 * time.Millisecond
		o.MaxConnsPerCaller = rampart.Unlimited
		tr, err := gqlws.New(o)
		if err != nil {
			t.Fatal(err)
		}
		b := NewBroker()
		h := newHandler(b, tr)
		srv := newServer(h)
		defer srv.Close()
		tok := token(t, "alice", t0)
		var wg sync.WaitGroup
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := dialGQL(t, srv, nil)
				switch i % 4 {
				case 0: // subscribe, receive, leave politely
					c.init(bearerInit(tok))
					c.subscribe("1", eventsQuery, nil)
					_ = c.c.Close(websocket.StatusNormalClosure, "")
				case 1: // protocol violation
					c.init(bearerInit(tok))
					c.sendRaw("{")
					c.closeCode()
				case 2: // init timeout
					c.closeCode()
				case 3: // drop the TCP connection with a live subscription
					c.init(bearerInit(tok))
					c.subscribe("1", eventsQuery, nil)
					c.c.CloseNow()
				}
			}()
		}
		wg.Wait()
		eventually(t, "subscriptions ended", func() bool { return b.Subscribers() == 0 })
	}()
	deadline := time.Now().Add(20 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines %d > baseline %d\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}
