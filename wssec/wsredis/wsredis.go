// Package wsredis carries wssec's session revocations between replicas over
// Redis pub/sub: Bus is a wssec.SessionBus on a go-redis
// redis.UniversalClient — a single server, Sentinel, or a Redis Cluster
// (*redis.ClusterClient), where it uses sharded pub/sub (SPUBLISH and
// SSUBSCRIBE, Redis 7) on a hash-tagged channel so that one shard carries
// the events.
//
// Pub/sub delivers at most once and drops what is published while a
// listener is disconnected. Bus therefore calls Listen's resync each time
// its subscription is (re)established, first time included: the listener
// (wssec.Sessions.Follow) re-checks every live connection against the
// revocation store, which stays the source of truth.
package wsredis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/wssec"
)

// Defaults of Options.
const (
	// DefaultChannel is the pub/sub channel. Its "{sessions}" hash tag
	// pins it to one Redis Cluster slot.
	DefaultChannel = "rampart:{sessions}:revoked"
	// DefaultTimeout bounds each Publish.
	DefaultTimeout = 500 * time.Millisecond
	// DefaultMaxBackoff bounds the wait between two attempts to reconnect
	// the subscription, and so how long after Redis returns the listener
	// resyncs.
	DefaultMaxBackoff = 500 * time.Millisecond
	// DefaultHealthInterval is how long a silent subscription waits before
	// it pings Redis to detect a dead connection.
	DefaultHealthInterval = 15 * time.Second
)

// Options configures New. The zero value is the default.
type Options struct {
	// Channel is the pub/sub channel; empty means DefaultChannel. Every
	// replica must use the same one. With a *redis.ClusterClient it should
	// carry a hash tag.
	Channel string
	// Timeout bounds each Publish; zero means DefaultTimeout, negative is an
	// error. A Publish that fails returns an error wrapping
	// auth.ErrUnavailable.
	Timeout time.Duration
	// MaxBackoff bounds the wait between reconnection attempts; zero means
	// DefaultMaxBackoff, negative is an error.
	MaxBackoff time.Duration
	// HealthInterval is how long a silent subscription waits before it
	// pings Redis; zero means DefaultHealthInterval, negative is an error.
	HealthInterval time.Duration
	// Logger receives connection losses and malformed events (Warn, at
	// most one of each a second). Nil discards.
	Logger *slog.Logger
}

// Bus is a wssec.SessionBus on Redis pub/sub. Create it with New; it is
// safe for concurrent use, and one Bus may serve any number of Listen
// calls.
type Bus struct {
	client  redis.UniversalClient
	channel string
	sharded bool
	o       Options
	log     *slog.Logger
	lastLog atomic.Int64 // unix nanoseconds of the last throttled log
}

var _ wssec.SessionBus = (*Bus)(nil)

// New returns a Bus on client. It does not contact Redis; it fails, with an
// error wrapping rampart.ErrConfig, on a nil client or a negative duration.
func New(client redis.UniversalClient, o Options) (*Bus, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: wssec/wsredis: nil client", rampart.ErrConfig)
	}
	if o.Timeout < 0 || o.MaxBackoff < 0 || o.HealthInterval < 0 {
		return nil, fmt.Errorf("%w: wssec/wsredis: negative duration", rampart.ErrConfig)
	}
	if o.Channel == "" {
		o.Channel = DefaultChannel
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.HealthInterval == 0 {
		o.HealthInterval = DefaultHealthInterval
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	_, sharded := client.(*redis.ClusterClient)
	return &Bus{client: client, channel: o.Channel, sharded: sharded, o: o, log: log}, nil
}

// Publish sends ev to every replica's listener (this one's included). An
// invalid event is refused with an error wrapping wssec.ErrBadSessionEvent;
// a Redis failure or timeout returns an error wrapping auth.ErrUnavailable
// (the revocation store still holds the revocation: the listeners will
// find it when they resync).
func (b *Bus) Publish(ctx context.Context, ev wssec.SessionEvent) error {
	data, err := wssec.MarshalSessionEvent(ev)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, b.o.Timeout)
	defer cancel()
	if b.sharded {
		err = b.client.SPublish(ctx, b.channel, data).Err()
	} else {
		err = b.client.Publish(ctx, b.channel, data).Err()
	}
	if err != nil {
		return fmt.Errorf("wssec/wsredis: publish: %w: %w", auth.ErrUnavailable, err)
	}
	return nil
}

// Listen implements wssec.SessionBus: it subscribes to the channel, calls
// resync each time the subscription is confirmed (after every
// reconnection), deliver for every well-formed event, and returns ctx's
// error once ctx is done and its connection is closed. Malformed messages
// are logged and skipped. While Redis is unreachable it retries with a
// backoff of at most Options.MaxBackoff.
func (b *Bus) Listen(ctx context.Context, deliver func(wssec.SessionEvent), resync func()) error {
	var ps *redis.PubSub
	if b.sharded {
		ps = b.client.SSubscribe(ctx, b.channel)
	} else {
		ps = b.client.Subscribe(ctx, b.channel)
	}
	defer ps.Close()
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() }) // unblocks Receive
	defer stop()
	backoff := time.Duration(0)
	for {
		msg, err := ps.ReceiveTimeout(ctx, b.o.HealthInterval)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			var nerr interface{ Timeout() bool }
			if errors.As(err, &nerr) && nerr.Timeout() {
				_ = ps.Ping(ctx) // a dead connection fails here and is replaced
				continue
			}
			b.warn("wssec/wsredis: session events unavailable; retrying", err)
			backoff = min(max(2*backoff, 20*time.Millisecond), b.o.MaxBackoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" || m.Kind == "ssubscribe" {
				backoff = 0
				resync()
			}
		case *redis.Message:
			ev, err := wssec.ParseSessionEvent([]byte(m.Payload))
			if err != nil {
				b.warn("wssec/wsredis: malformed session event skipped", err)
				continue
			}
			deliver(ev)
		}
	}
}

// warn logs at most once a second.
func (b *Bus) warn(msg string, err error) {
	now := time.Now().UnixNano()
	last := b.lastLog.Load()
	if now-last < int64(time.Second) || !b.lastLog.CompareAndSwap(last, now) {
		return
	}
	b.log.Warn(msg, "error", err.Error())
}
