package wssec_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/wssec"
)

var benchAuth = auth.AuthenticatorFunc(func(_ context.Context, c auth.Credential) (*auth.Principal, error) {
	return &auth.Principal{Subject: c.Value}, nil
})

// benchOptions are the defaults with the rate limits raised out of the way
// (a benchmark floods by design) but still evaluated on every message.
func benchOptions() wssec.Options {
	return wssec.Options{
		Authenticator:     benchAuth,
		MessageRate:       ratelimit.Rate{Limit: 1 << 30, Period: 1e9, Burst: 1 << 30},
		MaxConnsPerCaller: rampart.Unlimited,
		MaxConnsPerIP:     rampart.Unlimited,
	}
}

// rawHandler is the bare baseline: coder/websocket with no guard.
func rawHandler(onRead func(websocket.MessageType, []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(64 << 10)
		for {
			typ, data, err := c.Read(context.Background()) // like the guarded Conn: no per-frame hook
			if err != nil {
				return
			}
			onRead(typ, data)
		}
	})
}

func guardedHandler(b *testing.B, onRead func(websocket.MessageType, []byte)) http.Handler {
	u, err := wssec.New(benchOptions())
	if err != nil {
		b.Fatal(err)
	}
	return u.Handler(func(ctx context.Context, c *wssec.Conn) {
		for {
			typ, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			onRead(typ, data)
		}
	})
}

// BenchmarkThroughput measures messages per second from one client through
// the server's read path: raw coder/websocket against the guarded Conn
// (size limit, per-connection bucket, sanitiser).
func BenchmarkThroughput(b *testing.B) {
	const benign = `{"type":"chat","room":"lobby","text":"hello everyone, how are you today?"}`
	const hostile = `{"type":"chat","room":"lobby","text":"<img src=x onerror=alert(1)>hello"}`
	for _, bc := range []struct {
		name, msg string
		guarded   bool
	}{
		{"raw/benign", benign, false},
		{"guarded/benign", benign, true},
		{"raw/hostile", hostile, false},
		{"guarded/hostile", hostile, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var n atomic.Int64
			done := make(chan struct{}, 1)
			target := int64(0)
			onRead := func(websocket.MessageType, []byte) {
				if n.Add(1) == atomic.LoadInt64(&target) {
					done <- struct{}{}
				}
			}
			h := rawHandler(onRead)
			if bc.guarded {
				h = guardedHandler(b, onRead)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			ctx := context.Background()
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{
				HTTPHeader: http.Header{"Authorization": {"Bearer bench"}},
			})
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseNow()
			msg := []byte(bc.msg)
			b.ReportAllocs()
			b.ResetTimer()
			atomic.StoreInt64(&target, int64(b.N))
			for range b.N {
				if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
					b.Fatal(err)
				}
			}
			<-done
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkIdleConnMemory opens 1,000 idle connections and reports the heap
// and stack the server holds per connection. The clients run in a child
// process (this test binary re-executed, see TestMain) so that only the
// server's side is measured.
func BenchmarkIdleConnMemory(b *testing.B) {
	for _, conns := range []int{1000, 5000} {
		for _, guarded := range []bool{false, true} {
			benchIdleConns(b, conns, guarded)
		}
	}
}

// benchIdleConns measures the server's heap and stacks per idle connection
// with conns connections held open by a child process. The 1,000-connection
// runs are named raw and guarded; the larger ones get a _<conns> suffix.
func benchIdleConns(b *testing.B, conns int, guarded bool) {
	{
		name := "raw"
		if guarded {
			name = "guarded"
		}
		if conns != 1000 {
			name += "_" + strconv.Itoa(conns)
		}
		b.Run(name, func(b *testing.B) {
			var reading atomic.Int64
			var h http.Handler
			if guarded {
				u, err := wssec.New(benchOptions())
				if err != nil {
					b.Fatal(err)
				}
				h = u.Handler(func(ctx context.Context, c *wssec.Conn) {
					reading.Add(1)
					for {
						if _, _, err := c.Read(ctx); err != nil {
							return
						}
					}
				})
			} else {
				inner := rawHandler(func(websocket.MessageType, []byte) {})
				h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					reading.Add(1)
					inner.ServeHTTP(w, r)
				})
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			url := "ws" + strings.TrimPrefix(srv.URL, "http")
			var perConn float64
			for b.Loop() {
				reading.Store(0)
				before := inUse()
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), benchDialEnv+"="+url, benchDialCountEnv+"="+strconv.Itoa(conns))
				stdin, err := cmd.StdinPipe()
				if err != nil {
					b.Fatal(err)
				}
				cmd.Stderr = os.Stderr
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				for reading.Load() < int64(conns) {
					time.Sleep(10 * time.Millisecond)
				}
				perConn = float64(inUse()-before) / float64(conns)
				stdin.Close() // the child closes its connections and exits
				if err := cmd.Wait(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(perConn, "B/conn")
		})
	}
}

const (
	benchDialEnv      = "WSSEC_BENCH_DIAL_URL"
	benchDialCountEnv = "WSSEC_BENCH_DIAL_COUNT"
)

// TestMain turns the test binary into the client side of
// BenchmarkIdleConnMemory when benchDialEnv is set.
func TestMain(m *testing.M) {
	if url := os.Getenv(benchDialEnv); url != "" {
		n, _ := strconv.Atoi(os.Getenv(benchDialCountEnv))
		ctx := context.Background()
		opts := &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer bench"}}}
		cs := make([]*websocket.Conn, 0, n)
		for range n {
			c, _, err := websocket.Dial(ctx, url, opts)
			if err != nil {
				fmt.Fprintln(os.Stderr, "dial:", err)
				os.Exit(1)
			}
			cs = append(cs, c)
		}
		_, _ = io.Copy(io.Discard, os.Stdin) // hold the connections until the parent is done
		for _, c := range cs {
			c.CloseNow()
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func inUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}
