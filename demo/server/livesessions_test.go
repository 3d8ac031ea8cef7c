package main

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	goredis "github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/demo/graph/model"
	"github.com/rampart-go/rampart/demo/graph/store"
	"github.com/rampart-go/rampart/internal/redistest"
)

// Product bounds of live session control, asserted with a generous margin
// (CI runs loaded): the observed latency is logged, the deadline only
// catches a socket that is never closed.
const (
	sameReplicaBound  = time.Second
	otherReplicaBound = 2 * time.Second
	generous          = 20 * time.Second
)

var liveAdminEnv = []string{"DEMO_ADMIN_EMAIL", "root@example.com", "DEMO_ADMIN_PASSWORD", "an admin passphrase"}

// liveSub is a graphql-transport-ws connection with one commentAdded
// subscription, read on its own goroutine.
type liveSub struct {
	c      *websocket.Conn
	msgs   chan map[string]any
	closed chan websocket.CloseError
}

// subscribeComments opens a connection on s as token, subscribes id to
// query (a subscription on post) and waits until an event proves it is
// live (author adds comments until one arrives).
func subscribeLive(t *testing.T, s *demoServer, token string) *liveSub {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), generous)
	defer cancel()
	c, err := s.dialGQL(ctx, token)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	ls := &liveSub{c: c, msgs: make(chan map[string]any, 64), closed: make(chan websocket.CloseError, 1)}
	go func() {
		for {
			var m map[string]any
			if err := wsjson.Read(context.Background(), c, &m); err != nil {
				var ce websocket.CloseError
				if ok := asCloseError(err, &ce); ok {
					ls.closed <- ce
				} else {
					ls.closed <- websocket.CloseError{Code: -1, Reason: err.Error()}
				}
				return
			}
			ls.msgs <- m
		}
	}()
	return ls
}

func asCloseError(err error, ce *websocket.CloseError) bool { return errors.As(err, ce) }

func (ls *liveSub) subscribe(t *testing.T, id, query string, vars map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), generous)
	defer cancel()
	if err := wsjson.Write(ctx, ls.c, map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}}); err != nil {
		t.Fatal(err)
	}
}

// awaitEvent has author comment on post until a message for id arrives on
// ls, and returns it.
func (ls *liveSub) awaitEvent(t *testing.T, s *demoServer, author, post, id string) map[string]any {
	t.Helper()
	deadline := time.After(generous)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		s.do(author, `mutation($p: ID!) { addComment(postId: $p, body: "hello") { id } }`, map[string]any{"p": post})
		for {
			select {
			case m := <-ls.msgs:
				if m["id"] == id {
					return m
				}
				continue
			case ce := <-ls.closed:
				t.Fatalf("connection closed while waiting for %s: %v", id, ce)
			case <-tick.C:
			case <-deadline:
				t.Fatalf("no message for subscription %s", id)
			}
			break
		}
	}
}

// awaitClose waits for the server to close ls and returns the close and
// how long it took since start.
func (ls *liveSub) awaitClose(t *testing.T, start time.Time) (websocket.CloseError, time.Duration) {
	t.Helper()
	select {
	case ce := <-ls.closed:
		return ce, time.Since(start)
	case <-time.After(generous):
		t.Fatal("the socket was never closed")
		return websocket.CloseError{}, 0
	}
}

func wantRevoked(t *testing.T, what string, ce websocket.CloseError, took, bound time.Duration, reason string) {
	t.Helper()
	if ce.Code != 4403 || ce.Reason != reason {
		t.Fatalf("%s: closed with %d %q, want 4403 %q", what, ce.Code, ce.Reason, reason)
	}
	t.Logf("%s: closed %v after the revocation (product bound %v)", what, took, bound)
}

// live registers a user with a post, and a live subscription to it on s.
func liveUser(t *testing.T, on, s *demoServer, email string) (token, refresh, id, post string, sub *liveSub) {
	t.Helper()
	token, refresh, id = s.register(email, strings.Split(email, "@")[0], "a long enough passphrase")
	post = s.createPost(token, "t", "b")
	sub = subscribeLive(t, on, token)
	sub.subscribe(t, "1", `subscription($p: ID!) { commentAdded(postId: $p) { body } }`, map[string]any{"p": post})
	sub.awaitEvent(t, s, token, post, "1")
	return
}

func steppedAdmin(t *testing.T, s *demoServer) string {
	t.Helper()
	r := s.do("", `mutation { login(email: "root@example.com", password: "an admin passphrase") { accessToken } }`, nil)
	admin, _ := dig(r.Data, "login", "accessToken").(string)
	if admin == "" {
		t.Fatalf("admin login: %+v", r)
	}
	stepped, _ := s.withMFA(admin)
	return stepped
}

// Two replicas on one Redis: logout on B closes the user's sockets on A
// (GraphQL and chat), an admin's role change on B closes them too, and
// revokeSessions on A closes them on A; other users' sockets stay open.
func TestLiveSessionsAcrossReplicas(t *testing.T) {
	t.Parallel()
	a, b, _ := replicas(t, liveAdminEnv...)
	liveSessionsAcross(t, a, b, true)
}

// The same on a three-node Redis Cluster.
func TestLiveSessionsOnRedisCluster(t *testing.T) {
	t.Parallel()
	cl := redistest.StartCluster(t)
	env := map[string]string{"REDIS_URL": cl.URL(), "JWT_SECRET": strings.Repeat("r", 40), "REDIS_TIMEOUT": "2s"}
	for i := 0; i+1 < len(liveAdminEnv); i += 2 {
		env[liveAdminEnv[i]] = liveAdminEnv[i+1]
	}
	db := filepath.Join(t.TempDir(), "shared.db")
	a, b := startDemoDB(t, env, db), startDemoDB(t, env, db)
	liveSessionsAcross(t, a, b, false)
}

func liveSessionsAcross(t *testing.T, a, b *demoServer, all bool) {
	admin := steppedAdmin(t, a)
	_, _, _, bystanderPost, bystander := liveUser(t, a, a, "bystander@example.com")
	bystanderTok, _, _ := b.register("bystander2@example.com", "B2", "a long enough passphrase")
	_ = bystanderTok

	// Logout on B.
	tok, refresh, _, _, sub := liveUser(t, a, a, "out@example.com")
	ctx, cancel := context.WithTimeout(context.Background(), generous)
	defer cancel()
	chat, _, err := websocket.Dial(ctx, a.wsURL("/chat"), &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + tok}}})
	if err != nil {
		t.Fatal(err)
	}
	defer chat.CloseNow()
	start := time.Now()
	if r := b.do(tok, `mutation($t: String!) { logout(refreshToken: $t) }`, map[string]any{"t": refresh}); dig(r.Data, "logout") != true {
		t.Fatalf("logout on B: %+v", r)
	}
	ce, took := sub.awaitClose(t, start)
	wantRevoked(t, "logout on the other replica", ce, took, otherReplicaBound, "session revoked: logout")
	_, _, err = chat.Read(ctx)
	if websocket.CloseStatus(err) != 4403 {
		t.Fatalf("chat socket after logout: %v, want 4403", err)
	}
	// The logged-out token cannot open a new socket.
	if c, err := a.dialGQL(ctx, tok); err == nil {
		c.CloseNow()
		t.Fatal("a logged-out token opened a new subscription connection")
	}
	if !all {
		bystander.awaitEvent(t, a, bystanderTok2(t, a), bystanderPost, "1")
		return
	}

	// Role change by an admin on B.
	_, _, id, _, sub2 := liveUser(t, a, a, "promoted@example.com")
	start = time.Now()
	if r := b.do(admin, `mutation($id: ID!) { setUserRole(userId: $id, role: ADMIN) { role } }`, map[string]any{"id": id}); dig(r.Data, "setUserRole", "role") != "ADMIN" {
		t.Fatalf("setUserRole on B: %+v", r.Errors)
	}
	ce, took = sub2.awaitClose(t, start)
	wantRevoked(t, "role change on the other replica", ce, took, otherReplicaBound, "session revoked: role change")

	// revokeSessions on A, the replica holding the socket.
	tok3, _, id3, _, sub3 := liveUser(t, a, a, "revoked@example.com")
	start = time.Now()
	if r := a.do(admin, `mutation($id: ID!) { revokeSessions(userId: $id) }`, map[string]any{"id": id3}); dig(r.Data, "revokeSessions") != true {
		t.Fatalf("revokeSessions on A: %+v", r.Errors)
	}
	ce, took = sub3.awaitClose(t, start)
	wantRevoked(t, "revokeSessions on the same replica", ce, took, sameReplicaBound, "session revoked: revoked by an administrator")
	if r := b.do(tok3, `{ me { id } }`, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked token over HTTP on B: %d, want 401", r.Status)
	}
	// Only admins may revoke sessions; the bystander's socket lived
	// through all of it.
	if r := a.do(tok3, `mutation($id: ID!) { revokeSessions(userId: $id) }`, map[string]any{"id": id3}); r.Status != http.StatusUnauthorized && r.code() != "FORBIDDEN" {
		t.Fatalf("revokeSessions by a user: %d %q", r.Status, r.code())
	}
	bystander.awaitEvent(t, a, bystanderTok2(t, a), bystanderPost, "1")
}

// bystanderTok2 logs the bystander in again (its token is any valid one).
func bystanderTok2(t *testing.T, s *demoServer) string {
	t.Helper()
	r := s.do("", `mutation { login(email: "bystander@example.com", password: "a long enough passphrase") { accessToken } }`, nil)
	tok, _ := dig(r.Data, "login", "accessToken").(string)
	if tok == "" {
		t.Fatalf("bystander login: %+v", r)
	}
	return tok
}

// A revocation made while Redis is away (here a role change written to
// the database whose event was never published) closes the socket once
// Redis is back: the replica's subscription resyncs and re-checks its live
// connections against the stores.
func TestLiveSessionsResyncAfterRedisOutage(t *testing.T) {
	t.Parallel()
	a, _, redis := replicas(t)
	_, _, id, _, sub := liveUser(t, a, a, "outage@example.com")
	redis.Stop(t)
	st, err := store.Open(context.Background(), a.db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetUserRole(context.Background(), id, model.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	st.Close()
	select {
	case ce := <-sub.closed:
		t.Fatalf("closed before Redis came back: %v", ce)
	default:
	}
	start := time.Now()
	redis.Restart(t)
	ce, took := sub.awaitClose(t, start)
	if ce.Code != 4403 {
		t.Fatalf("closed with %v, want 4403", ce)
	}
	t.Logf("closed %v after Redis was restarted (product bound: %v after it answers)", took, otherReplicaBound)
}

// postNotifications is private: the author gets her post's events, another
// user is refused as if the post did not exist, and the per-event check
// ends an admin's watch of someone else's post once the admin is demoted
// (without any event: the role cache expires), while the admin's other
// subscription on the same connection goes on.
func TestPostNotificationsOwnership(t *testing.T) {
	t.Parallel()
	s := startDemo(t, map[string]string{"DEMO_ADMIN_EMAIL": "root@example.com", "DEMO_ADMIN_PASSWORD": "an admin passphrase"})
	alice, _, _ := s.register("alice@example.com", "Alice", "alice's long passphrase")
	bob, _, _ := s.register("bob@example.com", "Bob", "bob's long passphrase!")
	post := s.createPost(alice, "t", "b")
	const q = `subscription($p: ID!) { postNotifications(postId: $p) { body } }`

	mine := subscribeLive(t, s, alice)
	mine.subscribe(t, "n", q, map[string]any{"p": post})
	if m := mine.awaitEvent(t, s, bob, post, "n"); m["type"] != "next" {
		t.Fatalf("author's notification: %v", m)
	}
	theirs := subscribeLive(t, s, bob)
	theirs.subscribe(t, "n", q, map[string]any{"p": post})
	m := theirs.awaitEvent(t, s, alice, post, "n")
	if got := mustJSON(m); !strings.Contains(got, `"NOT_FOUND"`) {
		t.Fatalf("another user's postNotifications: %s, want NOT_FOUND", got)
	}

	r := s.do("", `mutation { login(email: "root@example.com", password: "an admin passphrase") { accessToken user { id } } }`, nil)
	admin, _ := dig(r.Data, "login", "accessToken").(string)
	adminID, _ := dig(r.Data, "login", "user", "id").(string)
	watch := subscribeLive(t, s, admin)
	watch.subscribe(t, "w", q, map[string]any{"p": post})
	watch.subscribe(t, "c", `subscription($p: ID!) { commentAdded(postId: $p) { body } }`, map[string]any{"p": post})
	watch.awaitEvent(t, s, alice, post, "w")
	st, err := store.Open(context.Background(), s.db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.SetUserRole(context.Background(), adminID, model.RoleUser); err != nil {
		t.Fatal(err)
	}
	// Events keep coming until the demotion is observed; then the watch
	// ends with FORBIDDEN, and commentAdded still delivers.
	deadline := time.Now().Add(generous)
	for {
		m := watch.awaitEvent(t, s, alice, post, "w")
		if m["type"] == "error" {
			if got := mustJSON(m); !strings.Contains(got, `"FORBIDDEN"`) {
				t.Fatalf("watch ended with %s, want FORBIDDEN", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the demotion was never observed")
		}
		time.Sleep(200 * time.Millisecond) // stay under addComment's rate limit
	}
	if m := watch.awaitEvent(t, s, alice, post, "c"); m["type"] != "next" {
		t.Fatalf("commentAdded after the watch ended: %v", m)
	}
}

// REDIS_URL in go-redis's cluster form gets a cluster client; a malformed
// one is a startup error naming the variable.
func TestRedisClientFromURL(t *testing.T) {
	t.Parallel()
	c, addr, err := redisClient("redis://127.0.0.1:7000?addr=127.0.0.1:7001&addr=127.0.0.1:7002")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(*goredis.ClusterClient); !ok || addr != "127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002" {
		t.Fatalf("cluster URL: %T %q", c, addr)
	}
	s, _, err := redisClient("redis://127.0.0.1:6379/0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*goredis.Client); !ok {
		t.Fatalf("single URL: %T", s)
	}
	for _, bad := range []string{"redis://127.0.0.1:7000?addr=127.0.0.1:7001&dial_timeout=zz", "http://x?addr=y", "redis://x:y:z/0"} {
		if _, _, err := redisClient(bad); err == nil || !strings.HasPrefix(err.Error(), "REDIS_URL: ") {
			t.Errorf("redisClient(%q): %v, want a REDIS_URL error", bad, err)
		}
	}
}

// changePassword on replica B closes the user's subscription on replica A
// with 4403 "session revoked: password change", and refuses every token
// issued before it: the access token, and the refresh tokens of every
// login (the refresh stores cannot list a user's families; the cutoff
// refuses them at their next use). The old password stops working and the
// new one logs in. A wrong current password and a weak new password change
// nothing, and another user's socket stays open throughout.
func TestPasswordChangeClosesSessionsAcrossReplicas(t *testing.T) {
	t.Parallel()
	a, b, _ := replicas(t)
	const oldPass, newPass = "a long enough passphrase", "a brand new passphrase, quite long"
	_, _, _, bystanderPost, bystander := liveUser(t, a, a, "pw-bystander@example.com")
	tok, refresh1, _, _, sub := liveUser(t, a, a, "pw@example.com")
	lr := a.do("", `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { refreshToken } }`, map[string]any{"e": "pw@example.com", "p": oldPass})
	refresh2, _ := dig(lr.Data, "login", "refreshToken").(string)
	if refresh2 == "" {
		t.Fatalf("second login: %+v", lr)
	}
	const change = `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }`

	// Refusals change nothing: the socket and the tokens keep working.
	if r := b.do(tok, change, map[string]any{"c": "not the password at all", "n": newPass}); r.code() != "INVALID_CREDENTIALS" {
		t.Fatalf("wrong current password: %d %q, want INVALID_CREDENTIALS", r.Status, r.code())
	}
	if r := b.do(tok, change, map[string]any{"c": oldPass, "n": "passwordpassword"}); r.code() != "BAD_USER_INPUT" {
		t.Fatalf("weak new password: %d %q, want BAD_USER_INPUT", r.Status, r.code())
	}
	if r := b.do("", change, map[string]any{"c": oldPass, "n": newPass}); r.Status != http.StatusUnauthorized && r.code() != "UNAUTHENTICATED" {
		t.Fatalf("anonymous changePassword: %d %q", r.Status, r.code())
	}
	select {
	case ce := <-sub.closed:
		t.Fatalf("socket closed by a refused password change: %v", ce)
	default:
	}
	if r := a.do(tok, `{ me { id } }`, nil); dig(r.Data, "me", "id") == nil {
		t.Fatalf("token refused after refused password changes: %+v", r)
	}

	start := time.Now()
	if r := b.do(tok, change, map[string]any{"c": oldPass, "n": newPass}); dig(r.Data, "changePassword") != true {
		t.Fatalf("changePassword on B: %d %+v", r.Status, r.Errors)
	}
	ce, took := sub.awaitClose(t, start)
	wantRevoked(t, "password change on the other replica", ce, took, otherReplicaBound, "session revoked: password change")

	if r := a.do(tok, `{ me { id } }`, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("access token after the password change: %d, want 401", r.Status)
	}
	if c, err := a.dialGQL(context.Background(), tok); err == nil {
		c.CloseNow()
		t.Fatal("a token issued before the password change opened a new socket")
	}
	for i, rt := range []string{refresh1, refresh2} {
		if r := a.do("", `mutation($t: String!) { refreshToken(token: $t) { accessToken } }`, map[string]any{"t": rt}); r.code() != "INVALID_CREDENTIALS" {
			t.Fatalf("refresh token %d after the password change: %d %q, want INVALID_CREDENTIALS", i+1, r.Status, r.code())
		}
	}
	login := `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }`
	if r := a.do("", login, map[string]any{"e": "pw@example.com", "p": oldPass}); r.code() != "INVALID_CREDENTIALS" {
		t.Fatalf("old password after the change: %d %q, want INVALID_CREDENTIALS", r.Status, r.code())
	}
	r := b.do("", login, map[string]any{"e": "pw@example.com", "p": newPass})
	fresh, _ := dig(r.Data, "login", "accessToken").(string)
	freshRefresh, _ := dig(r.Data, "login", "refreshToken").(string)
	if fresh == "" {
		t.Fatalf("new password: %+v", r)
	}
	if r := a.do(fresh, `{ me { id } }`, nil); dig(r.Data, "me", "id") == nil {
		t.Fatalf("token from the new password refused: %+v", r)
	}
	if r := a.do("", `mutation($t: String!) { refreshToken(token: $t) { accessToken } }`, map[string]any{"t": freshRefresh}); dig(r.Data, "refreshToken", "accessToken") == nil {
		t.Fatalf("refresh token from the new password refused: %+v", r)
	}
	bystander.awaitEvent(t, a, bystanderLogin(t, a, "pw-bystander@example.com"), bystanderPost, "1")
}

// bystanderLogin logs a liveUser in again and returns an access token.
func bystanderLogin(t *testing.T, s *demoServer, email string) string {
	t.Helper()
	r := s.do("", `mutation($e: String!) { login(email: $e, password: "a long enough passphrase") { accessToken } }`, map[string]any{"e": email})
	tok, _ := dig(r.Data, "login", "accessToken").(string)
	if tok == "" {
		t.Fatalf("%s login: %+v", email, r)
	}
	return tok
}
