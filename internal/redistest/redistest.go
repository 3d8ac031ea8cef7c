// Package redistest gives tests a real Redis server.
//
// Client (and Options) connect to the test binary's shared server: the one at
// REDIS_URL if that is set, otherwise a redis-server started from PATH on a
// free loopback port, once per test binary, with persistence off. Tests share
// it, so each test should namespace its keys with Prefix and never flush the
// database. Stop the shared server at the end of the binary with Main:
//
//	func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }
//
// Start gives a test its own private server that it can stop, restart, pause
// and resume, for failure-mode tests.
//
// When no Redis can be reached or started the test fails (never skips) with a
// message saying how to provide one.
package redistest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Help is the advice given when no Redis is available.
const Help = "start one: install redis-server on PATH (apt-get install -y redis-server) " +
	"or set REDIS_URL (e.g. REDIS_URL=redis://127.0.0.1:6379/0 after `redis-server --port 6379 --save '' --appendonly no`)"

// shared is the test binary's shared server: test-support state, set once.
var shared struct {
	once sync.Once
	srv  *Server
	opts *redis.Options
	err  error
}

// Options returns client options for the shared server (a fresh copy each
// call), starting the server on first use. ContextTimeoutEnabled is on.
func Options(t testing.TB) *redis.Options {
	t.Helper()
	shared.once.Do(func() {
		if u := os.Getenv("REDIS_URL"); u != "" {
			o, err := redis.ParseURL(u)
			if err != nil {
				shared.err = fmt.Errorf("REDIS_URL: %w", err)
				return
			}
			shared.opts = o
		} else {
			shared.srv, shared.err = start()
			if shared.err == nil {
				shared.opts = shared.srv.Options()
			}
		}
		if shared.err == nil {
			shared.err = ping(shared.opts, 5*time.Second)
		}
	})
	if shared.err != nil {
		t.Fatalf("redistest: no Redis available (%v); %s", shared.err, Help)
	}
	o := *shared.opts
	o.ContextTimeoutEnabled = true
	return &o
}

// Client returns a new client for the shared server, closed when t ends.
func Client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(Options(t))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Main runs m, then stops the shared server if this binary started one. Use
// it from TestMain: os.Exit(redistest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.close()
	}
	return code
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// Prefix returns a key prefix unique to this test and call, such as
// "test:TestFoo_bar:3KXQ...:", so that tests sharing a server do not collide.
func Prefix(t testing.TB) string {
	return "test:" + unsafeChars.ReplaceAllString(t.Name(), "_") + ":" + rand.Text()[:10] + ":"
}

// Server is a redis-server process owned by a test.
type Server struct {
	port int
	dir  string
	// extra are more redis-server arguments (cluster mode).
	extra []string
	mu    sync.Mutex
	cmd   *exec.Cmd
	done  chan struct{}
	out   *limitedWriter
}

// Start starts a private redis-server for t on a free loopback port and
// stops it when t ends. It fails t if redis-server is not on PATH.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start()
	if err != nil {
		t.Fatalf("redistest: cannot start redis-server (%v); %s", err, Help)
	}
	t.Cleanup(s.close)
	if err := ping(s.Options(), 5*time.Second); err != nil {
		t.Fatalf("redistest: redis-server did not answer PING: %v\n%s", err, s.output())
	}
	return s
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Options returns fresh client options for the server with
// ContextTimeoutEnabled on and no retries, so failures surface at once.
func (s *Server) Options() *redis.Options {
	return &redis.Options{Addr: s.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1}
}

// Client returns a new client for the server, closed when t ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(s.Options())
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Stop kills the server (as a crash would) and waits for it to exit.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		t.Fatal("redistest: Stop: server is not running")
	}
	s.killLocked()
}

// Restart starts the server again on the same port after Stop and waits
// until it answers PING. The data set is empty (persistence is off).
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	running := s.cmd != nil
	var err error
	if !running {
		err = s.launchLocked()
	}
	s.mu.Unlock()
	if running {
		t.Fatal("redistest: Restart: server is still running")
	}
	if err != nil {
		t.Fatalf("redistest: Restart: %v", err)
	}
	if err := ping(s.Options(), 5*time.Second); err != nil {
		t.Fatalf("redistest: restarted redis-server did not answer PING: %v\n%s", err, s.output())
	}
}

// Pause freezes the server (SIGSTOP): connections stay open but nothing is
// answered, like a hung or overloaded Redis. Resume undoes it.
func (s *Server) Pause(t testing.TB) { t.Helper(); s.signal(t, syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume(t testing.TB) { t.Helper(); s.signal(t, syscall.SIGCONT) }

func (s *Server) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		t.Fatalf("redistest: %v: server is not running", sig)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("redistest: %v: %v", sig, err)
	}
}

func start() (*Server, error) { return startWith(nil) }

// startWith starts a redis-server; extra, when set, returns more arguments
// for the chosen port.
func startWith(extra func(port int) ([]string, error)) (*Server, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir}
	for range 5 { // another process may grab the free port first
		if s.port, err = freePort(); err != nil {
			break
		}
		if extra != nil {
			if s.extra, err = extra(s.port); err != nil {
				break
			}
		}
		s.mu.Lock()
		err = s.launchLocked()
		s.mu.Unlock()
		if err != nil {
			break
		}
		if err = ping(s.Options(), 5*time.Second); err == nil {
			return s, nil
		}
		err = fmt.Errorf("%w\n%s", err, s.output())
		s.mu.Lock()
		s.killLocked()
		s.mu.Unlock()
	}
	s.close()
	return nil, err
}

func (s *Server) launchLocked() error {
	cmd := exec.Command("redis-server",
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--daemonize", "no", "--logfile", "")
	cmd.Args = append(cmd.Args, s.extra...)
	s.out = &limitedWriter{max: 64 << 10}
	cmd.Stdout = s.out
	cmd.Stderr = s.out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	return nil
}

func (s *Server) killLocked() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // a paused process must run to die cleanly
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

func (s *Server) close() {
	s.mu.Lock()
	s.killLocked()
	s.mu.Unlock()
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

func (s *Server) output() string {
	s.mu.Lock()
	out := s.out
	s.mu.Unlock()
	if out == nil {
		return ""
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	return out.buf.String()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func ping(o *redis.Options, within time.Duration) error {
	opts := *o
	opts.MaxRetries = -1
	opts.DialTimeout = 200 * time.Millisecond
	c := redis.NewClient(&opts)
	defer c.Close()
	deadline := time.Now().Add(within)
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err = c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.Join(errors.New("no PING reply within "+within.String()), err)
}

// limitedWriter keeps the first max bytes of a process's output.
type limitedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.max - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
