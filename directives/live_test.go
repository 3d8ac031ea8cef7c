package directives_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/directives"
	"github.com/rampart-go/rampart/directives/internal/testgraph"
)

// liveServer serves the test graph over gqlgen's graphql-transport-ws
// transport, every connection authenticated as who(), with per-event
// re-authorization answering current() for the caller.
type liveServer struct {
	srv   *httptest.Server
	feeds chan testgraph.FeedSub
	cur   atomic.Pointer[auth.Principal]
	err   atomic.Pointer[error]
}

func newLiveServer(t *testing.T, who *auth.Principal) *liveServer {
	t.Helper()
	ls := &liveServer{feeds: make(chan testgraph.FeedSub, 4)}
	ls.cur.Store(who)
	h := newHarness(t, directives.Options{
		CurrentPrincipal: func(_ context.Context, p *auth.Principal) (*auth.Principal, error) {
			if e := ls.err.Load(); e != nil {
				return nil, *e
			}
			if c := ls.cur.Load(); c != nil && c.Subject == p.Subject {
				return c, nil
			}
			return nil, auth.ErrRevoked
		},
		SubscriptionError: transport.AddSubscriptionError,
	})
	h.r.Feed = ls.feeds
	srv := handler.New(testgraph.NewExecutableSchema(testgraph.Config{Resolvers: h.r, Directives: testgraph.DirectiveRoot{
		Auth: h.d.Auth, Owner: h.d.Owner, Constraint: h.d.Constraint, Sanitize: h.d.Sanitize, Public: h.d.Public,
		RateLimit: h.d.RateLimit, StepUp: h.d.StepUp,
	}}))
	srv.AddTransport(transport.Websocket{})
	srv.Use(h.d)
	ls.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), who)))
	}))
	t.Cleanup(ls.srv.Close)
	return ls
}

type wsMsg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (ls *liveServer) dial(t *testing.T) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ls.srv.URL, "http"), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	wsSend(t, c, wsMsg{Type: "connection_init"})
	if m := wsRead(t, c); m.Type != "connection_ack" {
		t.Fatalf("got %+v, want connection_ack", m)
	}
	return c
}

func wsSend(t *testing.T, c *websocket.Conn, m wsMsg) {
	t.Helper()
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

func wsRead(t *testing.T, c *websocket.Conn) wsMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		var m wsMsg
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type == "ping" || m.Type == "pong" {
			continue
		}
		return m
	}
}

// subscribe starts a subscription and returns the channel its resolver
// sends events on.
func (ls *liveServer) subscribe(t *testing.T, c *websocket.Conn, id, query string) chan<- int {
	t.Helper()
	wsSend(t, c, wsMsg{ID: id, Type: "subscribe", Payload: json.RawMessage(fmt.Sprintf(`{"query":%q}`, query))})
	select {
	case f := <-ls.feeds:
		return f.Events
	case <-time.After(20 * time.Second):
		t.Fatalf("subscription %s never reached its resolver", id)
		return nil
	}
}

func emit(t *testing.T, ch chan<- int, v int) {
	t.Helper()
	select {
	case ch <- v:
	case <-time.After(20 * time.Second):
		t.Fatal("the subscription stopped reading its events")
	}
}

func wantNext(t *testing.T, c *websocket.Conn, id, field string, v int) {
	t.Helper()
	m := wsRead(t, c)
	want := fmt.Sprintf(`{"data":{"%s":%d}}`, field, v)
	if m.Type != "next" || m.ID != id || string(m.Payload) != want {
		t.Fatalf("got %s %s %s, want next %s %s", m.Type, m.ID, m.Payload, id, want)
	}
}

func wantForbidden(t *testing.T, c *websocket.Conn, id string) {
	t.Helper()
	m := wsRead(t, c)
	if m.Type != "error" || m.ID != id || !strings.Contains(string(m.Payload), `"code":"FORBIDDEN"`) {
		t.Fatalf("got %s %s %s, want error %s with FORBIDDEN", m.Type, m.ID, m.Payload, id)
	}
}

// An admin demoted while subscribed to an admins-only feed: the next event
// is not delivered, that subscription ends with FORBIDDEN, and another
// subscription on the same connection keeps receiving events. No goroutine
// is left once the connection is gone.
func TestLive_demotedAdminLosesAdminFeed(t *testing.T) {
	base := runtime.NumGoroutine()
	t.Run("", func(t *testing.T) {
		root := &auth.Principal{Subject: "u3", Roles: []string{"ADMIN"}}
		ls := newLiveServer(t, root)
		c := ls.dial(t)
		adminFeed := ls.subscribe(t, c, "1", "subscription { adminFeed }")
		userFeed := ls.subscribe(t, c, "2", "subscription { userFeed }")
		emit(t, adminFeed, 1)
		wantNext(t, c, "1", "adminFeed", 1)

		ls.cur.Store(&auth.Principal{Subject: "u3", Roles: []string{"USER"}}) // demoted
		emit(t, adminFeed, 2)
		wantForbidden(t, c, "1")
		emit(t, userFeed, 3)
		wantNext(t, c, "2", "userFeed", 3)

		// Revoked: the other subscription ends too.
		ls.cur.Store(nil)
		emit(t, userFeed, 4)
		wantForbidden(t, c, "2")
		c.Close(websocket.StatusNormalClosure, "")
		ls.srv.Close()
	})
	waitNoGoroutines(t, base)
}

// @owner(lookup:) is re-checked per event: an admin watching another
// user's post through the bypass role loses it when demoted; the author
// keeps hers. A store failure ends the subscription (fail closed).
func TestLive_ownerRecheckedPerEvent(t *testing.T) {
	t.Parallel()
	root := &auth.Principal{Subject: "u3", Roles: []string{"ADMIN"}}
	ls := newLiveServer(t, root)
	c := ls.dial(t)
	feed := ls.subscribe(t, c, "1", `subscription { postFeed(postId: "p1") }`)
	emit(t, feed, 1)
	wantNext(t, c, "1", "postFeed", 1)
	ls.cur.Store(&auth.Principal{Subject: "u3", Roles: []string{"USER"}})
	emit(t, feed, 2)
	wantForbidden(t, c, "1")

	ls2 := newLiveServer(t, alice)
	c2 := ls2.dial(t)
	mine := ls2.subscribe(t, c2, "a", `subscription { postFeed(postId: "p1") }`)
	for i := range 3 {
		emit(t, mine, i)
		wantNext(t, c2, "a", "postFeed", i)
	}
	down := fmt.Errorf("role cache: %w", auth.ErrUnavailable)
	ls2.err.Store(&down)
	emit(t, mine, 9)
	wantForbidden(t, c2, "a")
}

// Without CurrentPrincipal the behaviour is unchanged: authorized once.
func TestLive_offByDefault(t *testing.T) {
	t.Parallel()
	h := newHarness(t, directives.Options{})
	if got := h.subscribe(t, alice, "subscription { postAdded { id } }"); field(got[0].Data, "postAdded.id") != "p9" {
		t.Fatalf("postAdded: %+v", got)
	}
}

var _ = errors.Is

func waitNoGoroutines(t *testing.T, base int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines: %d, baseline %d\n%s", runtime.NumGoroutine(), base, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
