package redisrl_test

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/ratelimit/redisrl"
)

// ExampleNew shares buckets between replicas through Redis. It has no
// Output: it needs a Redis server.
func ExampleNew() {
	client := redis.NewClient(&redis.Options{
		Addr: "127.0.0.1:6379",
		// Let the per-call timeout reach the socket.
		ContextTimeoutEnabled: true,
	})
	limiter, err := redisrl.New(client, redisrl.Options{
		Timeout:   100 * time.Millisecond,
		OnFailure: ratelimit.FailClosed, // the default
	})
	if err != nil {
		panic(err)
	}
	d, err := limiter.Allow(context.Background(), "api:user:42", ratelimit.PerSecond(20), 1)
	fmt.Println(d.Allowed, err)
}
