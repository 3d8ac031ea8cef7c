package wssec_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/wssec"
)

// t0 is the fixed "now" of token issuance in tests.
var t0 = time.Now().Truncate(time.Second)

const (
	testIssuer   = "https://issuer.test"
	testAudience = "rampart-ws-test"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func jwtConfig(now func() time.Time) jwt.Config {
	return jwt.Config{
		Issuer:   testIssuer,
		Audience: testAudience,
		Keys:     []jwt.Key{{Algorithm: jwt.AlgHS256, Secret: testSecret}},
		Now:      now,
	}
}

// verifier is the real JWT authenticator the tests authenticate with.
func verifier(t testing.TB, now func() time.Time) *jwt.Verifier {
	t.Helper()
	v, err := jwt.NewVerifier(jwtConfig(now))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// token mints an access token for subject issued at issuedAt (15 min
// lifetime).
func token(t testing.TB, subject string, issuedAt time.Time) string {
	t.Helper()
	iss, err := jwt.NewIssuer(jwtConfig(func() time.Time { return issuedAt }))
	if err != nil {
		t.Fatal(err)
	}
	at, err := iss.Issue(auth.Principal{Subject: subject, Roles: []string{"USER"}})
	if err != nil {
		t.Fatal(err)
	}
	return at.Token
}

// algNoneToken is an unsigned token with otherwise valid claims.
func algNoneToken(t testing.TB, subject string) string {
	t.Helper()
	tok := gojwt.NewWithClaims(gojwt.SigningMethodNone, gojwt.RegisteredClaims{
		Issuer: testIssuer, Audience: gojwt.ClaimStrings{testAudience}, Subject: subject,
		IssuedAt: gojwt.NewNumericDate(t0), ExpiresAt: gojwt.NewNumericDate(t0.Add(10 * time.Minute)),
		ID: "none-1",
	})
	tok.Header["typ"] = jwt.AccessTokenType
	s, err := tok.SignedString(gojwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// server starts a real listener serving u.Handler(fn).
func server(t testing.TB, o wssec.Options, fn func(ctx context.Context, c *wssec.Conn)) (*httptest.Server, *wssec.Upgrader) {
	t.Helper()
	u, err := wssec.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(u.Handler(fn))
	t.Cleanup(srv.Close)
	return srv, u
}

func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") }

// dialOpts builds dial options with a bearer token and extra headers.
func bearer(tok string) *websocket.DialOptions {
	return &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + tok}}}
}

func dial(t testing.TB, srv *httptest.Server, opts *websocket.DialOptions) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, wsURL(srv), opts)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: status %d: %v", status, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// dialStatus dials and returns the HTTP status of a refused handshake (101
// when it succeeded; the connection is then closed).
func dialStatus(t testing.TB, url string, opts *websocket.DialOptions) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, url, opts)
	if err == nil {
		c.CloseNow()
		return http.StatusSwitchingProtocols
	}
	if resp == nil {
		t.Fatalf("dial: no response: %v", err)
	}
	return resp.StatusCode
}

// closeCode reads until the connection fails and returns the close code the
// client received (-1 when it saw no close frame).
func closeCode(t testing.TB, c *websocket.Conn) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatal("timed out waiting for the server to close the connection")
			}
			return websocket.CloseStatus(err)
		}
	}
}

// echo is a handler that writes every message back.
func echo(ctx context.Context, c *wssec.Conn) {
	for {
		typ, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, data); err != nil {
			return
		}
	}
}

func write(t testing.TB, c *websocket.Conn, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

func read(t testing.TB, c *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// waitGoroutines polls until the goroutine count is back to at most base
// or the deadline passes.
func waitGoroutines(t testing.TB, base int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= base {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines: %d, baseline %d\n%s", n, base, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventually polls cond until it holds or the deadline passes.
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

var errBackendDown = errors.New("backend down")

func newServer(h http.Handler) *httptest.Server { return httptest.NewServer(h) }

// closeStatus reads until the connection fails and returns the close code
// and reason the client received.
func closeStatus(t testing.TB, c *websocket.Conn) (websocket.StatusCode, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatal("timed out waiting for the server to close the connection")
			}
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code, ce.Reason
			}
			return -1, ""
		}
	}
}
