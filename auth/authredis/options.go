package authredis

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/internal/redisx"
)

// Defaults of Options.
const (
	// DefaultRevocationsPrefix is the key prefix of Revocations.
	DefaultRevocationsPrefix = "rampart:revoked:"
	// DefaultRefreshPrefix is the key prefix of RefreshStore. The "{refresh}"
	// hash tag keeps every key of the store in one Redis Cluster slot, as its
	// Lua scripts require; on a single server it is just part of the name.
	DefaultRefreshPrefix = "rampart:{refresh}:"
	// DefaultTimeout bounds each call to Redis.
	DefaultTimeout = 100 * time.Millisecond
)

// Options configures NewRevocations and NewRefreshStore. The zero value is
// the hardened default.
type Options struct {
	// Prefix is prepended to every key. Empty means DefaultRevocationsPrefix
	// ("rampart:revoked:") for Revocations and DefaultRefreshPrefix
	// ("rampart:{refresh}:") for RefreshStore. With a *redis.ClusterClient
	// or a *redis.Ring, a RefreshStore prefix must contain a hash tag such
	// as "{refresh}" (NewRefreshStore fails otherwise), because its scripts
	// touch several keys at once.
	Prefix string
	// Timeout bounds each call, including the wait for a pooled connection.
	// Zero means DefaultTimeout (100 ms); negative is an error. A call that
	// runs out of time returns an error wrapping auth.ErrUnavailable. Calls
	// return within Timeout even with a client that ignores context deadlines
	// (go-redis's ContextTimeoutEnabled = false), but such a client leaves a
	// goroutine waiting for its own ReadTimeout: enable ContextTimeoutEnabled.
	Timeout time.Duration
	// Now is the clock that decides whether a revocation's until time has
	// already passed (then Revoke stores nothing). Nil means time.Now.
	// Expiry itself is decided by the Redis server's clock.
	Now func() time.Time
}

// backend holds what both stores share: the validated client, key prefix
// and per-call timeout (redisx.Conn, the option handling of every Rampart
// Redis store) and the clock. client and prefix repeat conn's, for the
// stores' key and script code.
type backend struct {
	conn   redisx.Conn
	client redis.UniversalClient
	prefix string
	now    func() time.Time
}

// newBackend checks client and opts; errors wrap rampart.ErrConfig.
func newBackend(what string, client redis.UniversalClient, opts Options, defPrefix string) (backend, error) {
	conn, err := redisx.New("authredis: "+what, client,
		redisx.Options{Prefix: opts.Prefix, Timeout: opts.Timeout},
		redisx.Options{Prefix: defPrefix, Timeout: DefaultTimeout})
	if err != nil {
		return backend{}, err
	}
	b := backend{conn: conn, client: conn.Client, prefix: conn.Prefix, now: opts.Now}
	if b.now == nil {
		b.now = time.Now
	}
	return b, nil
}

// call runs f under the per-call timeout (redisx.Do: bounded even with a
// client that ignores context deadlines, panics turned into errors) and
// turns every failure into an error wrapping auth.ErrUnavailable.
func call[T any](b *backend, ctx context.Context, op string, f func(context.Context) (T, error)) (T, error) {
	v, err := redisx.Do(ctx, &b.conn, f)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("authredis: %s: %w: %w", op, auth.ErrUnavailable, err)
	}
	return v, nil
}

// shardsByKey reports whether client spreads keys over several servers by
// their hash slot.
func shardsByKey(client redis.UniversalClient) bool {
	switch client.(type) {
	case *redis.ClusterClient, *redis.Ring:
		return true
	}
	return false
}

// hasHashTag reports whether every key starting with prefix has the same
// Redis Cluster hash tag: prefix holds a '{', then a '}' with at least one
// byte between them.
func hasHashTag(prefix string) bool {
	i := strings.IndexByte(prefix, '{')
	if i < 0 {
		return false
	}
	return strings.IndexByte(prefix[i+1:], '}') > 0
}
