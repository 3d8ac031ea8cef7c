package wssec_test

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rampart-go/rampart/wssec"
)

// waitLen waits until s holds n connections (registration happens right
// after the upgrade, on the server's goroutine).
func waitLen(t *testing.T, s *wssec.Sessions, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for s.Len() != n {
		if time.Now().After(deadline) {
			t.Fatalf("sessions: %d live connections, want %d", s.Len(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A revoked subject's sockets close with 4403; another subject's stay open.
func TestSessions_closeSubject(t *testing.T) {
	t.Parallel()
	clock := newClock(t0)
	sessions := wssec.NewSessions()
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, clock.Now), Now: clock.Now, Sessions: sessions}, echo)
	alice1 := dial(t, srv, bearer(token(t, "alice", t0)))
	alice2 := dial(t, srv, bearer(token(t, "alice", t0)))
	bob := dial(t, srv, bearer(token(t, "bob", t0)))
	waitLen(t, sessions, 3)
	if got := len(sessions.List()); got != 3 {
		t.Fatalf("List: %d entries", got)
	}

	if n := sessions.CloseSubject("alice", "session revoked: logout"); n != 2 {
		t.Fatalf("CloseSubject closed %d, want 2", n)
	}
	for _, c := range []*websocket.Conn{alice1, alice2} {
		if got := closeCode(t, c); got != wssec.CloseForbidden {
			t.Fatalf("alice's socket closed with %v, want %v", got, wssec.CloseForbidden)
		}
	}
	write(t, bob, "still here")
	if got := read(t, bob); got != "still here" {
		t.Fatalf("bob's echo %q", got)
	}
	waitLen(t, sessions, 1)
	if l := sessions.List(); len(l) != 1 || l[0].Subject != "bob" {
		t.Fatalf("List after revoke: %+v", l)
	}
}

func TestSessions_closeToken(t *testing.T) {
	t.Parallel()
	clock := newClock(t0)
	sessions := wssec.NewSessions()
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, clock.Now), Now: clock.Now, Sessions: sessions}, echo)
	a := dial(t, srv, bearer(token(t, "alice", t0)))
	waitLen(t, sessions, 1)
	tid := sessions.List()[0].TokenID
	b := dial(t, srv, bearer(token(t, "alice", t0))) // another session of the same subject
	waitLen(t, sessions, 2)
	if tid == "" || sessions.CloseToken(tid, "logout") != 1 {
		t.Fatalf("CloseToken(%q) did not close exactly one connection", tid)
	}
	if got := closeCode(t, a); got != wssec.CloseForbidden {
		t.Fatalf("the logged-out session closed with %v, want 4403", got)
	}
	write(t, b, "other session")
	if got := read(t, b); got != "other session" {
		t.Fatalf("echo %q", got)
	}
}

// Shutdown sends 1001 to every socket, refuses new ones and returns once
// all have ended; no goroutine is left behind.
func TestSessions_shutdown(t *testing.T) {
	base := runtime.NumGoroutine()
	clock := newClock(t0)
	sessions := wssec.NewSessions()
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, clock.Now), Now: clock.Now, Sessions: sessions}, echo)
	conns := []*websocket.Conn{
		dial(t, srv, bearer(token(t, "alice", t0))),
		dial(t, srv, bearer(token(t, "bob", t0))),
	}
	waitLen(t, sessions, 2)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		done <- sessions.Shutdown(ctx)
	}()
	for _, c := range conns {
		if got := closeCode(t, c); got != wssec.CloseGoingAway {
			t.Fatalf("close code %v, want 1001", got)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// A connection accepted while draining is closed with 1001 at once.
	late := dial(t, srv, bearer(token(t, "carol", t0)))
	if got := closeCode(t, late); got != wssec.CloseGoingAway {
		t.Fatalf("late connection: close code %v, want 1001", got)
	}
	srv.Close()
	waitGoroutines(t, base)
}

// Shutdown with a context that ends first drops what is left, returns the
// context's error, and leaves the registry empty.
func TestSessions_shutdownDeadline(t *testing.T) {
	t.Parallel()
	clock := newClock(t0)
	sessions := wssec.NewSessions()
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, clock.Now), Now: clock.Now, Sessions: sessions}, echo)
	dial(t, srv, bearer(token(t, "alice", t0))) // a client that never answers the close handshake
	waitLen(t, sessions, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sessions.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown: %v, want context.Canceled", err)
	}
	waitLen(t, sessions, 0)
}

// A client that stops reading is dropped once a write has made no progress
// for WriteTimeout: the writer gets ErrWriteTimeout and the connection's
// goroutines end. The test waits for that event; the timeout only decides
// how long it takes.
func TestConn_writeTimeoutDropsStalledReader(t *testing.T) {
	base := runtime.NumGoroutine()
	clock := newClock(t0)
	got := make(chan error, 1)
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, clock.Now), Now: clock.Now, WriteTimeout: 300 * time.Millisecond},
		func(ctx context.Context, c *wssec.Conn) {
			msg := make([]byte, 32<<10)
			for {
				if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
					got <- err
					return
				}
			}
		})
	dial(t, srv, bearer(token(t, "alice", t0))) // never reads
	select {
	case err := <-got:
		if !errors.Is(err, wssec.ErrWriteTimeout) {
			t.Fatalf("write error %v, want ErrWriteTimeout", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the stalled connection was never dropped")
	}
	srv.Close()
	waitGoroutines(t, base)
}
