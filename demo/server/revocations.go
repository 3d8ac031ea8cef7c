package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/authredis"
	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/demo/graph/store"
	"github.com/rampart-go/rampart/internal/redisx"
)

// Redis keys of the demo's revocation bookkeeping, beside authredis's one
// key per revoked token (authredis.DefaultRevocationsPrefix + id).
const (
	// revocationIndexKey is a sorted set of revoked token ids scored by
	// their until time (Unix ms), from which replicas sync their local
	// copies.
	revocationIndexKey = "rampart:revoked-index"
	// revocationEpochKey exists while Redis holds the revocation list. A
	// Redis restarted without persistence has lost it: the list is seeded
	// again from the database before Redis is trusted.
	revocationEpochKey = "rampart:revoked-epoch"
	// revocationSyncEvery is how often a replica pulls revocations from
	// Redis into its local copy (and notices an emptied Redis when idle).
	revocationSyncEvery = 5 * time.Second
	// redisSeedTimeout bounds re-seeding Redis from the database.
	redisSeedTimeout = 2 * time.Second
)

// replicaRevocations is the demo's jwt.Revocations. Every revocation is
// written three times: to this replica's local copy, to the database
// (durable) and to Redis (shared by the replicas). A check trusts, in this
// order, the local copy, then Redis once it has made sure Redis still holds
// the list (the epoch key; an emptied Redis is re-seeded from the database
// first). When Redis fails, a fail-closed server refuses the check
// (auth.ErrUnavailable: 503 AUTH_UNAVAILABLE); a fail-open one answers from
// the local copy and the database and logs that it runs degraded. A
// background sync copies the other replicas' revocations into the local
// copy every revocationSyncEvery and re-seeds Redis after an outage, when
// revocations made meanwhile reached only the database.
//
// Without Redis (client nil) it is the local copy, seeded from the database
// at start, so that revocations survive a restart of the process.
type replicaRevocations struct {
	local    *jwt.MemoryRevocations
	db       *store.Store
	client   redis.UniversalClient // nil without REDIS_URL
	redis    *authredis.Revocations
	failOpen bool
	timeout  time.Duration // each Redis call
	outage   *outageLog
	now      func() time.Time

	seedMu   sync.Mutex
	seedAlso func(context.Context) error // see newReplicaRevocations
	// stop ends the sync loop; done is closed when it has.
	stop context.CancelFunc
	done chan struct{}
}

var _ jwt.Revocations = (*replicaRevocations)(nil)

// newReplicaRevocations loads the database's revocations into the local
// copy and, with Redis, seeds Redis if it is empty and starts the sync
// loop (stopped by close).
//
// seedAlso, when not nil, writes the rest of what Redis must hold before
// the epoch key is set (the session cutoffs) whenever Redis is seeded.
func newReplicaRevocations(ctx context.Context, db *store.Store, client redis.UniversalClient, failOpen bool, timeout time.Duration, outage *outageLog, seedAlso func(context.Context) error) (*replicaRevocations, error) {
	r := &replicaRevocations{local: jwt.NewMemoryRevocations(nil), db: db, client: client, failOpen: failOpen, outage: outage, now: time.Now, timeout: timeout, seedAlso: seedAlso}
	list, err := db.RevokedTokens(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range list {
		_ = r.local.Revoke(ctx, t.ID, t.Until)
	}
	if client == nil {
		return r, nil
	}
	if r.redis, err = authredis.NewRevocations(client, authredis.Options{Timeout: r.timeout}); err != nil {
		return nil, err
	}
	if err := r.seedIfEmpty(ctx, false); err != nil {
		return nil, fmt.Errorf("REDIS_URL: seeding revocations: %w", err)
	}
	loopCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	r.stop, r.done = stop, make(chan struct{})
	go r.syncLoop(loopCtx)
	return r, nil
}

// close stops the sync loop and waits for it.
func (r *replicaRevocations) close() {
	if r.stop != nil {
		r.stop()
		<-r.done
	}
}

// Revoke implements jwt.Revocations.
func (r *replicaRevocations) Revoke(ctx context.Context, id string, until time.Time) error {
	if id == "" {
		return fmt.Errorf("revoke: %w: empty token id", auth.ErrInvalidToken)
	}
	_ = r.local.Revoke(ctx, id, until)
	if err := r.db.RevokeToken(ctx, id, until); err != nil {
		return err
	}
	if r.client == nil {
		return nil
	}
	err := r.redis.Revoke(ctx, id, until)
	if err == nil {
		_, err = redisx.Call(ctx, r.timeout, true, func(ctx context.Context) (int64, error) {
			return r.client.ZAdd(ctx, revocationIndexKey, redis.Z{Score: float64(until.UnixMilli()), Member: id}).Result()
		})
	}
	if err == nil {
		r.outage.ok(ctx)
		return nil
	}
	if r.failOpen {
		// Durable in the database and known here; Redis gets it when the
		// sync loop re-seeds it after the outage.
		r.outage.failure(ctx, "revocation kept in the database and this replica only until redis is back (degraded, REDIS_FAIL_MODE=open)", err)
		return nil
	}
	r.outage.failure(ctx, "revocation refused (REDIS_FAIL_MODE=closed)", err)
	return fmt.Errorf("revoke: %w: %w", auth.ErrUnavailable, err)
}

// IsRevoked implements jwt.Revocations.
func (r *replicaRevocations) IsRevoked(ctx context.Context, id string) (bool, error) {
	if id == "" {
		return false, nil
	}
	if revoked, _ := r.local.IsRevoked(ctx, id); revoked || r.client == nil {
		return revoked, nil
	}
	// One round trip: the token's key and the epoch that says Redis still
	// holds the list.
	res, err := redisx.Call(ctx, r.timeout, true, func(ctx context.Context) ([2]bool, error) {
		var tok, epoch *redis.IntCmd
		_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			tok = p.Exists(ctx, authredis.DefaultRevocationsPrefix+id)
			epoch = p.Exists(ctx, revocationEpochKey)
			return nil
		})
		if err != nil {
			return [2]bool{}, err
		}
		return [2]bool{tok.Val() > 0, epoch.Val() > 0}, nil
	})
	if err != nil {
		if !r.failOpen {
			r.outage.failure(ctx, "revocation check refused (REDIS_FAIL_MODE=closed)", err)
			return false, fmt.Errorf("revocation check: %w: %w", auth.ErrUnavailable, err)
		}
		r.outage.failure(ctx, "revocations checked against this replica's copy and the database (degraded, REDIS_FAIL_MODE=open)", err)
		revoked, dberr := r.db.IsTokenRevoked(ctx, id)
		if dberr != nil {
			return false, fmt.Errorf("revocation check: %w: %w", auth.ErrUnavailable, errors.Join(err, dberr))
		}
		return revoked, nil
	}
	r.outage.ok(ctx)
	if res[0] {
		return true, nil
	}
	if !res[1] {
		// Redis has lost the list (restarted without persistence): seed it
		// again and answer from the database meanwhile.
		if err := r.seedIfEmpty(ctx, false); err != nil {
			r.outage.failure(ctx, "re-seeding revocations into an emptied redis failed", err)
		}
		return r.db.IsTokenRevoked(ctx, id)
	}
	return false, nil
}

// seedIfEmpty writes every revocation in the database to Redis, then the
// epoch key, when the epoch key is missing (or always, with force: after an
// outage, revocations made meanwhile are only in the database). Writes
// keep the longest revocation, as the database does, so seeding twice (two
// replicas at once) is harmless.
func (r *replicaRevocations) seedIfEmpty(ctx context.Context, force bool) error {
	r.seedMu.Lock()
	defer r.seedMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, redisSeedTimeout)
	defer cancel()
	if !force {
		n, err := r.client.Exists(ctx, revocationEpochKey).Result()
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	list, err := r.db.RevokedTokens(ctx)
	if err != nil {
		return err
	}
	if r.seedAlso != nil {
		if err := r.seedAlso(ctx); err != nil {
			return err
		}
	}
	_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, t := range list {
			ms := t.Until.UnixMilli()
			// SET ... GT is not available for plain strings: the database
			// holds the longest until of each id, so writing it is safe.
			p.Set(ctx, authredis.DefaultRevocationsPrefix+t.ID, strconv.FormatInt(ms, 10), 0)
			p.PExpireAt(ctx, authredis.DefaultRevocationsPrefix+t.ID, t.Until)
			p.ZAdd(ctx, revocationIndexKey, redis.Z{Score: float64(ms), Member: t.ID})
		}
		p.SetNX(ctx, revocationEpochKey, rand.Text(), 0)
		return nil
	})
	return err
}

// syncLoop pulls revocations into the local copy every
// revocationSyncEvery until ctx ends.
func (r *replicaRevocations) syncLoop(ctx context.Context) {
	defer close(r.done)
	t := time.NewTicker(revocationSyncEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.sync(ctx)
	}
}

// sync re-seeds Redis when it was down or emptied, then copies the
// revocations in force into the local copy and trims the lapsed ones from
// the index.
func (r *replicaRevocations) sync(ctx context.Context) {
	wasDown := r.outage.isDown()
	if err := r.seedIfEmpty(ctx, wasDown); err != nil {
		r.outage.failure(ctx, "revocation sync failed", err)
		return
	}
	now := strconv.FormatInt(r.now().UnixMilli(), 10)
	res, err := redisx.Call(ctx, redisSeedTimeout, true, func(ctx context.Context) ([]redis.Z, error) {
		if err := r.client.ZRemRangeByScore(ctx, revocationIndexKey, "-inf", now).Err(); err != nil {
			return nil, err
		}
		return r.client.ZRangeByScoreWithScores(ctx, revocationIndexKey, &redis.ZRangeBy{Min: "(" + now, Max: "+inf"}).Result()
	})
	if err != nil {
		r.outage.failure(ctx, "revocation sync failed", err)
		return
	}
	r.outage.ok(ctx)
	for _, z := range res {
		if id, ok := z.Member.(string); ok {
			_ = r.local.Revoke(ctx, id, time.UnixMilli(int64(z.Score)))
		}
	}
}
