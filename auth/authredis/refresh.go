package authredis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/refresh"
)

// Key layout under the prefix:
//
//	<prefix>r:<hash>    hash  one record: f family, s subject, c created,
//	                          e expires, fe family expires, u used (empty
//	                          while unused), r "1" when revoked; times are
//	                          "<unix seconds>.<9-digit nanoseconds>"
//	<prefix>f:<family>  hash  x latest family expiry (Unix ms), r "1" once
//	                          the family is revoked
//
// Every key expires (PEXPIREAT) at its family's expiry: a record with its
// FamilyExpiresAt, the family key with the latest FamilyExpiresAt of its
// records, so it outlives them all.

// storeLua stores a record (KEYS[1]) and extends its family key (KEYS[2]).
// ARGV[o+1..o+7] are the record's fields, ARGV[o+8] its expiry in Unix ms.
const storeLua = `
local function store(rec, fam, o)
  redis.call('HSET', rec, 'f', ARGV[o+1], 's', ARGV[o+2], 'c', ARGV[o+3],
    'e', ARGV[o+4], 'fe', ARGV[o+5], 'u', ARGV[o+6], 'r', ARGV[o+7])
  redis.call('PEXPIREAT', rec, ARGV[o+8])
  local x = tonumber(redis.call('HGET', fam, 'x'))
  if not x or x < tonumber(ARGV[o+8]) then
    redis.call('HSET', fam, 'x', ARGV[o+8])
    redis.call('PEXPIREAT', fam, ARGV[o+8])
  end
end
`

// createScript: KEYS rec, family; ARGV the record (offset 0).
// Returns 1, or 0 when a record with this hash exists.
var createScript = redis.NewScript(storeLua + `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
store(KEYS[1], KEYS[2], 0)
return 1
`)

// rotateScript is the compare-and-set of Rotate: KEYS old record, next
// record, family; ARGV[1] used-at, ARGV[2..9] the next record (offset 1).
// Returns 1 on success, 0 when the old record is used or revoked (or its
// family is), -1 when it does not exist, -2 when the next hash exists, -3
// when the old record is of another family than the next.
var rotateScript = redis.NewScript(storeLua + `
local old = redis.call('HMGET', KEYS[1], 'f', 'u', 'r')
if not old[1] then return -1 end
if old[1] ~= ARGV[2] then return -3 end
if (old[2] and old[2] ~= '') or old[3] == '1' or redis.call('HGET', KEYS[3], 'r') == '1' then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return -2 end
redis.call('HSET', KEYS[1], 'u', ARGV[1])
store(KEYS[2], KEYS[3], 1)
return 1
`)

// getScript reads a record and its family's revocation in one step: KEYS
// rec; ARGV[1] the family key prefix. Returns nil when there is no record.
var getScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'f', 's', 'c', 'e', 'fe', 'u', 'r')
if not v[1] then return false end
if redis.call('HGET', ARGV[1] .. v[1], 'r') == '1' then v[7] = '1' end
return v
`)

// revokeFamilyScript marks a live family revoked: KEYS family. An unknown
// or expired family is left alone, so no key without a TTL is ever made.
var revokeFamilyScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'r', '1') end
return 1
`)

// Rotate results of rotateScript.
const (
	rotateOK        = 1
	rotateConflict  = 0
	rotateNotFound  = -1
	rotateDuplicate = -2
	rotateMismatch  = -3
)

// RefreshStore is a refresh.Store (package auth/refresh) on Redis, shared by every replica.
// Rotate is one Lua script, so it is atomic with respect to itself and to
// RevokeFamily across all replicas: of concurrent rotations of one token
// exactly one wins. RevokeFamily is O(1): it flags the family, and Get and
// Rotate consult the flag. Every key expires at its family's
// FamilyExpiresAt, so Redis holds only live families.
//
// Failures and timeouts return errors wrapping auth.ErrUnavailable; a
// missing record wraps auth.ErrNotFound, a lost compare-and-set
// refresh.ErrConflict. It is safe for concurrent use. Create it with
// NewRefreshStore.
type RefreshStore struct {
	b backend
}

var _ refresh.Store = (*RefreshStore)(nil)

// NewRefreshStore returns a RefreshStore backed by client. It does not
// contact Redis; it fails, with an error wrapping auth.ErrConfig, on a nil
// client, a negative timeout, or a prefix without a hash tag on a
// *redis.ClusterClient or *redis.Ring.
func NewRefreshStore(client redis.UniversalClient, opts Options) (*RefreshStore, error) {
	b, err := newBackend("refresh", client, opts, DefaultRefreshPrefix)
	if err != nil {
		return nil, err
	}
	if shardsByKey(client) && !hasHashTag(b.prefix) {
		return nil, fmt.Errorf("%w: authredis: refresh: Prefix %q has no hash tag such as {refresh}; a sharded client needs one", auth.ErrConfig, b.prefix)
	}
	return &RefreshStore{b: b}, nil
}

func (s *RefreshStore) recKey(hash string) string { return s.b.prefix + "r:" + hash }
func (s *RefreshStore) famKey(id string) string   { return s.b.prefix + "f:" + id }

// Create stores rec. It fails with an error wrapping refresh.ErrConflict
// when a record with the same hash exists. Hash and FamilyID must not be empty and
// FamilyExpiresAt must be set; a record whose family has already expired is
// dropped by Redis at once. Creating a record in a revoked family keeps the
// family revoked.
func (s *RefreshStore) Create(ctx context.Context, rec refresh.Record) error {
	args, err := recordArgs(rec)
	if err != nil {
		return err
	}
	n, err := call(&s.b, ctx, "refresh: create", func(ctx context.Context) (int64, error) {
		return createScript.Run(ctx, s.b.client, []string{s.recKey(rec.Hash), s.famKey(rec.FamilyID)}, args...).Int64()
	})
	if err != nil {
		return err
	}
	if n != rotateOK {
		return fmt.Errorf("authredis: refresh: %w: duplicate hash", refresh.ErrConflict)
	}
	return nil
}

// Get returns the record with the given hash, Revoked when the record or its
// family was revoked, or an error wrapping auth.ErrNotFound.
func (s *RefreshStore) Get(ctx context.Context, hash string) (refresh.Record, error) {
	if hash == "" {
		return refresh.Record{}, fmt.Errorf("authredis: refresh: %w", auth.ErrNotFound)
	}
	vals, err := call(&s.b, ctx, "refresh: get", func(ctx context.Context) ([]any, error) {
		v, err := getScript.Run(ctx, s.b.client, []string{s.recKey(hash)}, s.b.prefix+"f:").Slice()
		if errors.Is(err, redis.Nil) {
			return nil, nil
		}
		return v, err
	})
	if err != nil {
		return refresh.Record{}, err
	}
	if vals == nil {
		return refresh.Record{}, fmt.Errorf("authredis: refresh: %w", auth.ErrNotFound)
	}
	rec, err := decodeRecord(hash, vals)
	if err != nil {
		return refresh.Record{}, fmt.Errorf("authredis: refresh: get: %w: %w", auth.ErrUnavailable, err)
	}
	return rec, nil
}

// Rotate marks oldHash used at usedAt and stores next, in one atomic step,
// only if oldHash exists, is unused and neither it nor its family is
// revoked. Otherwise it changes nothing and returns an error wrapping
// refresh.ErrConflict (used, revoked, or next's hash taken) or
// auth.ErrNotFound. next must belong to oldHash's family, as
// refresh.Tokens always does.
func (s *RefreshStore) Rotate(ctx context.Context, oldHash string, usedAt time.Time, next refresh.Record) error {
	if usedAt.IsZero() {
		return errors.New("authredis: refresh: rotate: zero usedAt")
	}
	args, err := recordArgs(next)
	if err != nil {
		return err
	}
	args = append([]any{formatTime(usedAt)}, args...)
	n, err := call(&s.b, ctx, "refresh: rotate", func(ctx context.Context) (int64, error) {
		keys := []string{s.recKey(oldHash), s.recKey(next.Hash), s.famKey(next.FamilyID)}
		return rotateScript.Run(ctx, s.b.client, keys, args...).Int64()
	})
	if err != nil {
		return err
	}
	switch n {
	case rotateOK:
		return nil
	case rotateConflict:
		return fmt.Errorf("authredis: refresh: %w", refresh.ErrConflict)
	case rotateNotFound:
		return fmt.Errorf("authredis: refresh: %w", auth.ErrNotFound)
	case rotateDuplicate:
		return fmt.Errorf("authredis: refresh: %w: duplicate hash", refresh.ErrConflict)
	case rotateMismatch:
		return errors.New("authredis: refresh: rotate: next record is of another family")
	}
	return fmt.Errorf("authredis: refresh: rotate: %w: unexpected script reply %d", auth.ErrUnavailable, n)
}

// RevokeFamily marks every record of the family revoked, those stored
// later included. Revoking an unknown, expired or already revoked family
// succeeds and changes nothing.
func (s *RefreshStore) RevokeFamily(ctx context.Context, familyID string) error {
	if familyID == "" {
		return nil
	}
	_, err := call(&s.b, ctx, "refresh: revoke family", func(ctx context.Context) (int64, error) {
		return revokeFamilyScript.Run(ctx, s.b.client, []string{s.famKey(familyID)}).Int64()
	})
	return err
}

// recordArgs checks rec and encodes it as the script arguments of storeLua.
func recordArgs(rec refresh.Record) ([]any, error) {
	switch {
	case rec.Hash == "":
		return nil, errors.New("authredis: refresh: record without Hash")
	case rec.FamilyID == "":
		return nil, errors.New("authredis: refresh: record without FamilyID")
	case rec.FamilyExpiresAt.IsZero():
		return nil, errors.New("authredis: refresh: record without FamilyExpiresAt")
	}
	revoked := "0"
	if rec.Revoked {
		revoked = "1"
	}
	return []any{
		rec.FamilyID, rec.Subject, formatTime(rec.CreatedAt), formatTime(rec.ExpiresAt),
		formatTime(rec.FamilyExpiresAt), formatTime(rec.UsedAt), revoked,
		ceilMillis(rec.FamilyExpiresAt),
	}, nil
}

// recordFields is the number of fields getScript returns.
const recordFields = 7

// decodeRecord is the inverse of recordArgs for getScript's reply.
func decodeRecord(hash string, vals []any) (refresh.Record, error) {
	if len(vals) != recordFields {
		return refresh.Record{}, fmt.Errorf("record has %d fields, want %d", len(vals), recordFields)
	}
	var f [recordFields]string
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			return refresh.Record{}, fmt.Errorf("record field %d is %T, not a string", i, v)
		}
		f[i] = s
	}
	rec := refresh.Record{Hash: hash, FamilyID: f[0], Subject: f[1], Revoked: f[6] == "1"}
	for i, dst := range []*time.Time{&rec.CreatedAt, &rec.ExpiresAt, &rec.FamilyExpiresAt, &rec.UsedAt} {
		t, err := parseTime(f[2+i])
		if err != nil {
			return refresh.Record{}, fmt.Errorf("record field %d: %w", 2+i, err)
		}
		*dst = t
	}
	if rec.FamilyID == "" || rec.FamilyExpiresAt.IsZero() {
		return refresh.Record{}, errors.New("record without family")
	}
	return rec, nil
}

// formatTime encodes t as Unix seconds and nanoseconds ("1772366400.000000001"),
// exact for every year; the zero time is "".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.Unix(), 10) + "." + fmt.Sprintf("%09d", t.Nanosecond())
}

// parseTime is the inverse of formatTime; times come back in UTC.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	secs, nanos, ok := strings.Cut(s, ".")
	if !ok || len(nanos) != 9 {
		return time.Time{}, fmt.Errorf("malformed time %q", s)
	}
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("malformed time %q", s)
	}
	nsec, err := strconv.ParseUint(nanos, 10, 32)
	if err != nil {
		return time.Time{}, fmt.Errorf("malformed time %q", s)
	}
	return time.Unix(sec, int64(nsec)).UTC(), nil
}
