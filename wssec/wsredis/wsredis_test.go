package wsredis_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/internal/redistest"
	"github.com/rampart-go/rampart/wssec"
	"github.com/rampart-go/rampart/wssec/wsredis"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

// listener is one replica's Listen, recording what it receives.
type listener struct {
	events  chan wssec.SessionEvent
	resyncs chan struct{}
	done    chan error
	cancel  context.CancelFunc
}

func listen(t *testing.T, bus wssec.SessionBus) *listener {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{events: make(chan wssec.SessionEvent, 16), resyncs: make(chan struct{}, 16), done: make(chan error, 1), cancel: cancel}
	go func() {
		l.done <- bus.Listen(ctx, func(ev wssec.SessionEvent) { l.events <- ev }, func() { l.resyncs <- struct{}{} })
	}()
	t.Cleanup(l.stop)
	return l
}

func (l *listener) stop() {
	l.cancel()
	<-l.done
	select {
	case l.done <- context.Canceled: // keep stop idempotent
	default:
	}
}

func (l *listener) waitResync(t *testing.T) {
	t.Helper()
	select {
	case <-l.resyncs:
	case <-time.After(30 * time.Second):
		t.Fatal("no resync")
	}
}

func (l *listener) waitEvent(t *testing.T, want wssec.SessionEvent) {
	t.Helper()
	select {
	case ev := <-l.events:
		if ev != want {
			t.Fatalf("event %+v, want %+v", ev, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("event %+v never arrived", want)
	}
}

// conformance: two replicas' listeners both receive an event published by
// one of them; a malformed message on the channel is skipped; an invalid
// event is refused before it reaches Redis.
func conformance(t *testing.T, client redis.UniversalClient, channel string) {
	a, err := wsredis.New(client, wsredis.Options{Channel: channel})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := wsredis.New(client, wsredis.Options{Channel: channel})
	la, lb := listen(t, a), listen(t, b)
	la.waitResync(t)
	lb.waitResync(t)
	ctx := context.Background()
	publishRaw(t, client, channel, `{"sub":"x","cause":"<script>"}`)
	ev := wssec.SessionEvent{Subject: "u1", Cause: "logout"}
	if err := b.Publish(ctx, ev); err != nil {
		t.Fatal(err)
	}
	la.waitEvent(t, ev)
	lb.waitEvent(t, ev)
	if err := a.Publish(ctx, wssec.SessionEvent{Cause: "logout"}); !errors.Is(err, wssec.ErrBadSessionEvent) {
		t.Fatalf("invalid event: %v", err)
	}
}

func publishRaw(t *testing.T, client redis.UniversalClient, channel, payload string) {
	t.Helper()
	var err error
	if _, ok := client.(*redis.ClusterClient); ok {
		err = client.SPublish(context.Background(), channel, payload).Err()
	} else {
		err = client.Publish(context.Background(), channel, payload).Err()
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestBus_singleServer(t *testing.T) {
	t.Parallel()
	conformance(t, redistest.Client(t), redistest.Prefix(t)+"{sessions}")
}

func TestBus_cluster(t *testing.T) {
	t.Parallel()
	conformance(t, redistest.StartCluster(t).Client(t), wsredis.DefaultChannel)
}

// Redis going away and coming back: Publish fails with ErrUnavailable
// meanwhile, and the listener resyncs once its subscription is back (so
// what was missed is found in the store), then receives events again.
// Listen's goroutines end with its context.
func TestBus_reconnectResyncs(t *testing.T) {
	base := runtime.NumGoroutine()
	t.Run("", func(t *testing.T) {
		srv := redistest.Start(t)
		client := srv.Client(t)
		bus, err := wsredis.New(client, wsredis.Options{Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		l := listen(t, bus)
		l.waitResync(t)
		srv.Stop(t)
		if err := bus.Publish(context.Background(), wssec.SessionEvent{Subject: "u1", Cause: "logout"}); !errors.Is(err, auth.ErrUnavailable) {
			t.Fatalf("Publish with Redis down: %v, want ErrUnavailable", err)
		}
		srv.Restart(t)
		l.waitResync(t)
		ev := wssec.SessionEvent{Subject: "u2", TokenID: "j", Cause: "role change"}
		if err := bus.Publish(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		l.waitEvent(t, ev)
		l.stop()
		client.Close()
	})
	deadline := time.Now().Add(20 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d, baseline %d\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNew_refusesBadOptions(t *testing.T) {
	t.Parallel()
	if _, err := wsredis.New(nil, wsredis.Options{}); err == nil {
		t.Fatal("nil client accepted")
	}
	if _, err := wsredis.New(redis.NewClient(&redis.Options{}), wsredis.Options{Timeout: -1}); err == nil {
		t.Fatal("negative timeout accepted")
	}
}
