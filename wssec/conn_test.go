package wssec_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/wssec"
)

func TestConn_messageSizeLimit(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, nil)}, echo)
	tok := token(t, "alice", t0)
	cases := []struct {
		name string
		size int
		want websocket.StatusCode // -1: echoed
	}{
		{"at_limit_64KiB_passes", wssec.DefaultMaxMessageBytes, -1},
		{"one_past_limit_closed_1009", wssec.DefaultMaxMessageBytes + 1, wssec.CloseMessageTooBig},
		{"one_MiB_closed_1009", 1 << 20, wssec.CloseMessageTooBig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, srv, bearer(tok))
			c.SetReadLimit(-1)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = c.Write(ctx, websocket.MessageBinary, make([]byte, tc.size))
			if tc.want == -1 {
				_, data, err := c.Read(ctx)
				if err != nil || len(data) != tc.size {
					t.Fatalf("echo: %d bytes, %v", len(data), err)
				}
				return
			}
			if got := closeCode(t, c); got != tc.want {
				t.Fatalf("close code %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConn_perConnectionRate(t *testing.T) {
	t.Parallel()
	// A frozen clock makes the bucket deterministic: no refill, so exactly
	// Burst messages pass.
	clock := newClock(t0)
	srv, _ := server(t, wssec.Options{
		Authenticator: verifier(t, nil), Now: clock.Now,
		MessageRate: ratelimit.Rate{Limit: 5, Period: time.Second, Burst: 10},
	}, echo)
	c := dial(t, srv, bearer(token(t, "alice", t0)))
	for i := range 10 { // at the burst: all pass
		write(t, c, fmt.Sprint(i))
		if got := read(t, c); got != fmt.Sprint(i) {
			t.Fatalf("message %d echoed as %q", i, got)
		}
	}
	write(t, c, "one too many")
	if got := closeCode(t, c); got != wssec.CloseRateLimited {
		t.Fatalf("close code %v, want %v", got, wssec.CloseRateLimited)
	}
}

func TestConn_defaultRateStopsAFlood(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, nil)}, func(ctx context.Context, c *wssec.Conn) {
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	})
	c := dial(t, srv, bearer(token(t, "mallory", t0)))
	codes := make(chan websocket.StatusCode, 1)
	go func() { codes <- closeCode(t, c) }()
	// 2000 messages as fast as possible: far above 20/s with burst 40.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 2000 {
		if c.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`)) != nil {
			break
		}
	}
	if got := <-codes; got != wssec.CloseRateLimited {
		t.Fatalf("close code %v, want %v", got, wssec.CloseRateLimited)
	}
}

// countingLimiter is an in-test ratelimit.Limiter: a fixed budget per key.
type countingLimiter struct {
	mu   sync.Mutex
	used map[string]int
	fail bool
	keys []string
}

func (l *countingLimiter) Allow(_ context.Context, key string, r ratelimit.Rate, n int) (ratelimit.Decision, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail {
		return ratelimit.Decision{}, fmt.Errorf("%w: %w", ratelimit.ErrBackend, errBackendDown)
	}
	l.keys = append(l.keys, key)
	if l.used[key]+n > r.Burst {
		return ratelimit.Decision{Allowed: false, Limit: r.Burst}, nil
	}
	l.used[key] += n
	return ratelimit.Decision{Allowed: true, Limit: r.Burst, Remaining: r.Burst - l.used[key]}, nil
}

func TestConn_perCallerRateAcrossConnections(t *testing.T) {
	t.Parallel()
	lim := &countingLimiter{used: map[string]int{}}
	srv, _ := server(t, wssec.Options{
		Authenticator: verifier(t, nil), CallerLimiter: lim,
		CallerRate: ratelimit.Rate{Limit: 4, Period: time.Minute, Burst: 4},
	}, echo)
	tok := token(t, "alice", t0)
	a, b := dial(t, srv, bearer(tok)), dial(t, srv, bearer(tok))
	for i := range 2 { // 4 messages over two connections: at the budget
		for _, c := range []*websocket.Conn{a, b} {
			write(t, c, fmt.Sprint(i))
			read(t, c)
		}
	}
	write(t, b, "fifth") // past the caller's budget, on either connection
	if got := closeCode(t, b); got != wssec.CloseRateLimited {
		t.Fatalf("close code %v, want %v", got, wssec.CloseRateLimited)
	}
	// Bob is unaffected by Alice's budget.
	bob := dial(t, srv, bearer(token(t, "bob", t0)))
	write(t, bob, "hi")
	if got := read(t, bob); got != "hi" {
		t.Fatalf("bob echo %q", got)
	}
	lim.mu.Lock()
	keys := strings.Join(lim.keys, ",")
	lim.mu.Unlock()
	if !strings.Contains(keys, "ws:msg:sub:alice") || !strings.Contains(keys, "ws:msg:sub:bob") {
		t.Fatalf("limiter keys %s", keys)
	}
}

func TestConn_callerLimiterBackendFailureClosesConnection(t *testing.T) {
	t.Parallel()
	lim := &countingLimiter{used: map[string]int{}, fail: true}
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, nil), CallerLimiter: lim}, echo)
	c := dial(t, srv, bearer(token(t, "alice", t0)))
	write(t, c, "hi")
	if got := closeCode(t, c); got != wssec.CloseTryAgainLater {
		t.Fatalf("close code %v, want %v (fail closed)", got, wssec.CloseTryAgainLater)
	}
}

func TestAccept_connectionCaps(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, wssec.Options{
		Authenticator: verifier(t, nil), MaxConnsPerCaller: 2, MaxConnsPerIP: 3,
	}, echo)
	alice, bob, carol := token(t, "alice", t0), token(t, "bob", t0), token(t, "carol", t0)

	a1 := dial(t, srv, bearer(alice))
	dial(t, srv, bearer(alice)) // at the caller cap
	if got := dialStatus(t, wsURL(srv), bearer(alice)); got != http.StatusTooManyRequests {
		t.Fatalf("third connection of one caller: status %d, want 429", got)
	}
	dial(t, srv, bearer(bob)) // third from this IP: at the IP cap
	if got := dialStatus(t, wsURL(srv), bearer(carol)); got != http.StatusTooManyRequests {
		t.Fatalf("fourth connection from one IP: status %d, want 429", got)
	}
	// Closing a connection gives its slots back.
	a1.Close(websocket.StatusNormalClosure, "")
	eventually(t, "slot release", func() bool {
		return dialStatus(t, wsURL(srv), bearer(alice)) == http.StatusSwitchingProtocols
	})
}

// failingSlots is a ratelimit.Slots whose backend is down.
type failingSlots struct{}

func (failingSlots) Acquire(context.Context, string, int) (func(), error) {
	return nil, fmt.Errorf("%w: %w", ratelimit.ErrBackend, errBackendDown)
}

func TestAccept_slotBackendFailureRefuses(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, nil), Slots: failingSlots{}}, echo)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(ctx, wsURL(srv), bearer(token(t, "alice", t0)))
	if err == nil {
		c.CloseNow()
		t.Fatal("connected while the slot backend is down, want 503 (fail closed)")
	}
	if res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("response %v (%v), want 503 (fail closed)", res, err)
	}
	// A backend outage is the server's: the client is told when to retry.
	if got := res.Header.Get("Retry-After"); got != "1" {
		t.Fatalf("Retry-After %q, want 1", got)
	}
}

// With a working backend the same handshake connects: the 503 above comes
// from the failing backend, not from the caller.
func TestAccept_slotBackendWorkingConnects(t *testing.T) {
	t.Parallel()
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, nil), Slots: ratelimit.NewMemorySlots()}, echo)
	if got := dialStatus(t, wsURL(srv), bearer(token(t, "alice", t0))); got != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", got)
	}
}

func TestConn_tokenExpiryClosesConnection(t *testing.T) {
	t.Parallel()
	// The server's clock stands one second before the token's expiry.
	tok := token(t, "alice", t0)
	clock := newClock(t0.Add(jwt.DefaultLifetime - time.Second))
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, clock.Now), Now: clock.Now}, echo)
	c := dial(t, srv, bearer(tok))
	write(t, c, "still valid")
	if got := read(t, c); got != "still valid" {
		t.Fatalf("echo %q", got)
	}
	if got := closeCode(t, c); got != wssec.CloseUnauthorized {
		t.Fatalf("close code %v, want %v", got, wssec.CloseUnauthorized)
	}
}

func TestConn_deferredAuthInitTimeout(t *testing.T) {
	t.Parallel()
	o := wssec.Options{Authenticator: verifier(t, nil), DeferAuth: true, InitTimeout: time.Second}
	// The first message is the token; then the connection echoes.
	srv, _ := server(t, o, func(ctx context.Context, c *wssec.Conn) {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		if _, err := c.Authenticate(ctx, auth.Credential{Kind: auth.CredentialBearer, Value: string(data)}); err != nil {
			return
		}
		_ = c.Write(ctx, websocket.MessageText, []byte("welcome "+c.Principal().Subject))
		echo(c.Context(), c)
	})
	t.Run("authenticated_in_time_passes", func(t *testing.T) {
		t.Parallel()
		c := dial(t, srv, nil)
		write(t, c, token(t, "alice", t0))
		if got := read(t, c); got != "welcome alice" {
			t.Fatalf("got %q", got)
		}
		time.Sleep(2 * o.InitTimeout) // past the init timeout, still open
		write(t, c, "hi")
		if got := read(t, c); got != "hi" {
			t.Fatalf("echo %q", got)
		}
	})
	t.Run("silent_client_closed_4408", func(t *testing.T) {
		t.Parallel()
		c := dial(t, srv, nil)
		if got := closeCode(t, c); got != wssec.CloseInitTimeout {
			t.Fatalf("close code %v, want %v", got, wssec.CloseInitTimeout)
		}
	})
	t.Run("bad_in_band_token_closed_4403", func(t *testing.T) {
		t.Parallel()
		c := dial(t, srv, nil)
		write(t, c, algNoneToken(t, "alice"))
		if got := closeCode(t, c); got != wssec.CloseForbidden {
			t.Fatalf("close code %v, want %v", got, wssec.CloseForbidden)
		}
	})
}

func TestConn_idleTimeout(t *testing.T) {
	t.Parallel()
	const idle = time.Second
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, nil), IdleTimeout: idle}, echo)
	tok := token(t, "alice", t0)
	t.Run("peer_that_answers_pings_stays", func(t *testing.T) {
		t.Parallel()
		c := dial(t, srv, bearer(tok))
		msgs := make(chan string)
		go func() { // a reader answers the server's pings
			defer close(msgs)
			for {
				_, d, err := c.Read(context.Background())
				if err != nil {
					return
				}
				msgs <- string(d)
			}
		}()
		time.Sleep(3 * idle)
		write(t, c, "alive")
		if got := <-msgs; got != "alive" {
			t.Fatalf("echo %q", got)
		}
	})
	t.Run("dead_peer_closed_1001", func(t *testing.T) {
		t.Parallel()
		c := dial(t, srv, bearer(tok))
		time.Sleep(2 * idle) // not reading: pings go unanswered
		if got := closeCode(t, c); got != wssec.CloseIdle {
			t.Fatalf("close code %v, want %v", got, wssec.CloseIdle)
		}
	})
}

func TestConn_errorsWrapSentinels(t *testing.T) {
	t.Parallel()
	errs := make(chan error, 1)
	clock := newClock(t0)
	srv, _ := server(t, wssec.Options{
		Authenticator: verifier(t, nil), Now: clock.Now,
		MessageRate: ratelimit.Rate{Limit: 1, Period: time.Hour, Burst: 1},
	}, func(ctx context.Context, c *wssec.Conn) {
		for {
			if _, _, err := c.Read(ctx); err != nil {
				errs <- err
				return
			}
		}
	})
	c := dial(t, srv, bearer(token(t, "alice", t0)))
	write(t, c, "1")
	write(t, c, "2")
	closeCode(t, c)
	if err := <-errs; !errors.Is(err, wssec.ErrRateLimited) {
		t.Fatalf("read error %v, want ErrRateLimited", err)
	}
}

// TestConn_noGoroutineOutlivesItsConnection opens connections that end in
// every way (normal close, rate limit, expiry, idle, init timeout), then
// checks that the goroutine count returns to its baseline.
func TestConn_noGoroutineOutlivesItsConnection(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	base := runtime.NumGoroutine()
	func() {
		tok := token(t, "alice", t0)
		clock := newClock(t0.Add(jwt.DefaultLifetime - 200*time.Millisecond))
		u, err := wssec.New(wssec.Options{
			Authenticator: verifier(t, nil), IdleTimeout: 300 * time.Millisecond,
			MaxConnsPerCaller: rampart.Unlimited,
		})
		if err != nil {
			t.Fatal(err)
		}
		expiring, err := wssec.New(wssec.Options{Authenticator: verifier(t, clock.Now), Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		deferred, err := wssec.New(wssec.Options{Authenticator: verifier(t, nil), DeferAuth: true, InitTimeout: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.Handle("/", u.Handler(echo))
		mux.Handle("/expiring", expiring.Handler(echo))
		mux.Handle("/deferred", deferred.Handler(echo))
		srv := newServer(mux)
		defer srv.Close()
		ctx := context.Background()
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				path := []string{"/", "/expiring", "/deferred"}[i%3]
				opts := bearer(tok)
				if path == "/deferred" {
					opts = nil // must authenticate in-band: init timeout
				}
				c, _, err := websocket.Dial(ctx, wsURL(srv)+path, opts)
				if err != nil {
					t.Error(err)
					return
				}
				defer c.CloseNow()
				switch i % 4 {
				case 0: // normal close
					_ = c.Write(ctx, websocket.MessageText, []byte("hi"))
					_, _, _ = c.Read(ctx)
					_ = c.Close(websocket.StatusNormalClosure, "")
				case 1: // flood
					go func() {
						for c.Write(ctx, websocket.MessageText, []byte("x")) == nil {
						}
					}()
					_, _, _ = c.Read(ctx)
				default: // idle / expiry / init timeout: wait to be closed
					rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
					defer cancel()
					if i%3 == 0 {
						time.Sleep(time.Second) // not reading: idle
					}
					for {
						if _, _, err := c.Read(rctx); err != nil {
							break
						}
					}
				}
			}()
		}
		wg.Wait()
	}()
	waitGoroutines(t, base)
}
