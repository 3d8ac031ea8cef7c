package authredis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth"
)

// revokeScript stores a revocation unless one lasting at least as long is
// already there, so that a second Revoke never shortens the first.
//
// KEYS[1] the token's key; ARGV[1] until, in Unix milliseconds.
// Returns 1 when it stored the revocation, 0 when it kept the existing one.
var revokeScript = redis.NewScript(`
local old = tonumber(redis.call('GET', KEYS[1]))
if old and old >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[1])
return 1
`)

// Revocations is a jwt.Revocations (package auth/jwt) on Redis: one key
// per revoked token ID (the prefix followed by the ID, byte for byte),
// expiring (PXAT) at the time the token would have expired anyway, so the
// denylist is bounded by the tokens revoked within one token lifetime.
// Every replica that shares the Redis sees every revocation at once. It
// satisfies the interface without importing auth/jwt, so a server that
// only keeps refresh tokens in Redis does not link golang-jwt.
//
// IsRevoked is one EXISTS; Revoke is one small Lua script. Failures and
// timeouts return an error wrapping auth.ErrUnavailable, which a
// jwt.Verifier turns into a refusal (fail closed). It is safe for
// concurrent use. Create it with NewRevocations.
type Revocations struct {
	b backend
}

// NewRevocations returns a Revocations backed by client. It does not contact
// Redis; it fails, with an error wrapping auth.ErrConfig, only on a nil
// client or a negative timeout.
func NewRevocations(client redis.UniversalClient, opts Options) (*Revocations, error) {
	b, err := newBackend("revocations", client, opts, DefaultRevocationsPrefix)
	if err != nil {
		return nil, err
	}
	return &Revocations{b: b}, nil
}

// IsRevoked reports whether tokenID has been revoked and the revocation has
// not lapsed on the Redis server's clock. The empty ID is never revoked.
func (r *Revocations) IsRevoked(ctx context.Context, tokenID string) (bool, error) {
	if tokenID == "" {
		return false, nil
	}
	n, err := call(&r.b, ctx, "is revoked", func(ctx context.Context) (int64, error) {
		return r.b.client.Exists(ctx, r.b.prefix+tokenID).Result()
	})
	return n > 0, err
}

// Revoke records tokenID as revoked until the given time (rounded up to the
// millisecond), after which Redis drops the key. An until that is not after
// Options.Now is a no-op, as the token has expired by then; an existing
// revocation that lasts longer is kept. The empty ID is refused with an
// error wrapping auth.ErrInvalidToken.
func (r *Revocations) Revoke(ctx context.Context, tokenID string, until time.Time) error {
	if tokenID == "" {
		return fmt.Errorf("authredis: revoke: %w: empty token id", auth.ErrInvalidToken)
	}
	if !r.b.now().Before(until) {
		return nil
	}
	_, err := call(&r.b, ctx, "revoke", func(ctx context.Context) (int64, error) {
		n, err := revokeScript.Run(ctx, r.b.client, []string{r.b.prefix + tokenID}, ceilMillis(until)).Int64()
		if errors.Is(err, redis.Nil) {
			err = nil
		}
		return n, err
	})
	return err
}

// ceilMillis returns t in Unix milliseconds, rounded up, so that a
// revocation never lapses before its time.
func ceilMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.After(time.UnixMilli(ms)) {
		ms++
	}
	return ms
}
