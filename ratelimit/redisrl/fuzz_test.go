package redisrl_test

import (
	"context"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/redistest"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/internal/conformance"
	"github.com/rampart-go/rampart/ratelimit/redisrl"
)

// FuzzRedisAllowMatchesMemory feeds arbitrary keys (they reach Redis as
// KEYS[1]) and request sizes to Redis and to Memory side by side: Redis never
// errors on a valid call, never allows more than the burst, and decides
// exactly as Memory does. The rate is conformance.Slow (per hour) so the few milliseconds
// Redis's clock moves during one input change nothing.
func FuzzRedisAllowMatchesMemory(f *testing.F) {
	f.Add("login:ip:203.0.113.9", uint16(5), uint16(0), []byte{9, 9, 9, 9, 9, 9})
	f.Add("", uint16(5), uint16(5), []byte{13, 14, 8})
	f.Add("\x00\xff*?[]{}", uint16(1), uint16(3), []byte{11, 9, 9, 255})
	f.Add("k", uint16(1000), uint16(1), []byte{8, 9, 10})
	client := redistest.Client(f)
	f.Fuzz(func(t *testing.T, key string, limit, burst uint16, ns []byte) {
		r := ratelimit.Rate{Limit: int(limit%1000) + 1, Period: time.Hour, Burst: int(burst % 1000)}
		rl, err := redisrl.New(client, redisrl.Options{Prefix: redistest.Prefix(t), Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		clk := conformance.NewFakeClock()
		m, err := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		b := r.Burst
		if b == 0 {
			b = r.Limit
		}
		spent := 0
		for _, raw := range ns {
			n := int(raw) - 8
			if n < 0 {
				continue // covered by FuzzMemoryAllow and the conformance suite
			}
			rd, err := rl.Allow(ctx, key, r, n)
			if err != nil {
				t.Fatalf("Redis.Allow(%q, %+v, %d): %v", key, r, n, err)
			}
			md, err := m.Allow(ctx, key, r, n)
			if err != nil {
				t.Fatal(err)
			}
			if rd.Allowed != md.Allowed || rd.Remaining != md.Remaining || rd.Limit != md.Limit {
				t.Fatalf("n=%d after %d spent: Redis %+v, Memory %+v", n, spent, rd, md)
			}
			if rd.Allowed {
				spent += n
			}
			if spent > b {
				t.Fatalf("Redis allowed %d tokens, burst %d", spent, b)
			}
		}
	})
}
