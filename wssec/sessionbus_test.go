package wssec_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/wssec"
)

// follow runs sessions.Follow(bus) until the test ends and waits for it to
// return; it returns once the bus has made its first resync, so that the
// listener is registered before the test publishes.
func follow(t *testing.T, sessions *wssec.Sessions, bus wssec.SessionBus, check func(context.Context, *auth.Principal) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	synced := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- sessions.Follow(ctx, resyncSignal{bus, synced}, check)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Follow returned %v, want context.Canceled", err)
		}
	})
	select {
	case <-synced:
	case err := <-done:
		t.Fatalf("Follow returned before listening: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the bus never resynced")
	}
}

// resyncSignal is a bus that reports each resync (the listener is
// registered by then) on a channel.
type resyncSignal struct {
	wssec.SessionBus
	synced chan struct{}
}

func (b resyncSignal) Listen(ctx context.Context, deliver func(wssec.SessionEvent), resync func()) error {
	return b.SessionBus.Listen(ctx, deliver, func() {
		resync()
		select {
		case b.synced <- struct{}{}:
		default:
		}
	})
}

// An event published on the bus closes the sockets it names with 4403 and
// the cause in the reason; the other sockets keep working. The listener's
// goroutine ends with its context.
func TestSessionBus_localRevokes(t *testing.T) {
	base := runtime.NumGoroutine()
	clock := newClock(t0)
	sessions := wssec.NewSessions()
	bus := &wssec.LocalBus{}
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, clock.Now), Now: clock.Now, Sessions: sessions}, echo)
	t.Run("", func(t *testing.T) {
		follow(t, sessions, bus, nil)
		alice := dial(t, srv, bearer(token(t, "alice", t0)))
		bob := dial(t, srv, bearer(token(t, "bob", t0)))
		waitLen(t, sessions, 2)
		if err := bus.Publish(context.Background(), wssec.SessionEvent{Subject: "alice", Cause: "logout"}); err != nil {
			t.Fatal(err)
		}
		code, reason := closeStatus(t, alice)
		if code != wssec.CloseForbidden || reason != "session revoked: logout" {
			t.Fatalf("alice closed with %v %q, want 4403 \"session revoked: logout\"", code, reason)
		}
		write(t, bob, "still here")
		if got := read(t, bob); got != "still here" {
			t.Fatalf("bob's echo %q", got)
		}
		bob.CloseNow()
		waitLen(t, sessions, 0)
	})
	srv.Close()
	waitGoroutines(t, base)
}

// A token event closes only that session.
func TestSessionBus_tokenEvent(t *testing.T) {
	t.Parallel()
	clock := newClock(t0)
	sessions := wssec.NewSessions()
	bus := &wssec.LocalBus{}
	follow(t, sessions, bus, nil)
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, clock.Now), Now: clock.Now, Sessions: sessions}, echo)
	a := dial(t, srv, bearer(token(t, "alice", t0)))
	waitLen(t, sessions, 1)
	tid := sessions.List()[0].TokenID
	b := dial(t, srv, bearer(token(t, "alice", t0)))
	waitLen(t, sessions, 2)
	if err := bus.Publish(context.Background(), wssec.SessionEvent{Subject: "alice", TokenID: tid, Cause: "logout"}); err != nil {
		t.Fatal(err)
	}
	if code, _ := closeStatus(t, a); code != wssec.CloseForbidden {
		t.Fatalf("revoked session closed with %v", code)
	}
	write(t, b, "other")
	if got := read(t, b); got != "other" {
		t.Fatalf("echo %q", got)
	}
	// The wrong subject with the right token id matches nothing.
	if n := sessions.Revoke(wssec.SessionEvent{Subject: "mallory", TokenID: sessions.List()[0].TokenID, Cause: "logout"}); n != 0 {
		t.Fatalf("mismatched event closed %d", n)
	}
}

// Recheck closes the sessions the store refuses, keeps the ones it accepts,
// and keeps them all when the store is unavailable.
func TestSessions_recheck(t *testing.T) {
	t.Parallel()
	clock := newClock(t0)
	sessions := wssec.NewSessions()
	srv, _ := server(t, wssec.Options{Authenticator: verifier(t, clock.Now), Now: clock.Now, Sessions: sessions}, echo)
	alice := dial(t, srv, bearer(token(t, "alice", t0)))
	bob := dial(t, srv, bearer(token(t, "bob", t0)))
	waitLen(t, sessions, 2)
	down := func(context.Context, *auth.Principal) error { return fmt.Errorf("store: %w", auth.ErrUnavailable) }
	if n := sessions.Recheck(context.Background(), down); n != 0 {
		t.Fatalf("Recheck with the store down closed %d, want 0", n)
	}
	n := sessions.Recheck(context.Background(), func(_ context.Context, p *auth.Principal) error {
		if p.Subject == "alice" {
			return auth.ErrRevoked
		}
		return nil
	})
	if n != 1 {
		t.Fatalf("Recheck closed %d, want 1", n)
	}
	if code, _ := closeStatus(t, alice); code != wssec.CloseForbidden {
		t.Fatalf("alice closed with %v", code)
	}
	write(t, bob, "ok")
	if got := read(t, bob); got != "ok" {
		t.Fatalf("echo %q", got)
	}
}

func TestSessionEvent_validate(t *testing.T) {
	t.Parallel()
	bad := []wssec.SessionEvent{
		{Cause: "logout"},
		{Subject: "a"},
		{Subject: "a", Cause: "Logout"},
		{Subject: "a", Cause: "log\nout"},
		{Subject: "a", Cause: strings.Repeat("x", 49)},
		{Subject: strings.Repeat("s", 257), Cause: "logout"},
	}
	for _, ev := range bad {
		if err := ev.Validate(); !errors.Is(err, wssec.ErrBadSessionEvent) {
			t.Errorf("%+v: %v, want ErrBadSessionEvent", ev, err)
		}
		if err := (&wssec.LocalBus{}).Publish(context.Background(), ev); !errors.Is(err, wssec.ErrBadSessionEvent) {
			t.Errorf("Publish(%+v): %v", ev, err)
		}
	}
	good := wssec.SessionEvent{Subject: "u1", TokenID: "j1", Cause: "role change"}
	b, err := wssec.MarshalSessionEvent(good)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := wssec.ParseSessionEvent(b); err != nil || got != good {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for _, in := range []string{``, `[]`, `{"sub":"a","cause":"x","extra":1}`, `{"sub":"a","cause":"x"} {}`, `{"sub":"a"}`} {
		if _, err := wssec.ParseSessionEvent([]byte(in)); !errors.Is(err, wssec.ErrBadSessionEvent) {
			t.Errorf("ParseSessionEvent(%q): %v", in, err)
		}
	}
}

// A LocalBus publisher waits for a listener that lags, until its context
// ends: a revocation is never dropped silently.
func TestLocalBus_publishHonoursContext(t *testing.T) {
	t.Parallel()
	bus := &wssec.LocalBus{}
	ctx, cancel := context.WithCancel(context.Background())
	block := make(chan struct{})
	listening := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- bus.Listen(ctx, func(wssec.SessionEvent) { <-block }, func() { close(listening) })
	}()
	<-listening
	ev := wssec.SessionEvent{Subject: "a", Cause: "logout"}
	var err error
	pctx, pcancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer pcancel()
	for range 1000 {
		if err = bus.Publish(pctx, ev); err != nil {
			break
		}
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish to a stuck listener: %v, want DeadlineExceeded", err)
	}
	close(block)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Listen: %v", err)
	}
}
