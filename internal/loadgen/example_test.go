package loadgen_test

import (
	"context"
	"fmt"
	"time"

	"github.com/rampart-go/rampart/internal/loadgen"
)

// Run bounds a load test by count and time and reports throughput and
// latency percentiles; here the "server" is a function with a fake clock.
func ExampleRun() {
	now := time.Unix(0, 0)
	clock := func() time.Time { return now }
	res, err := loadgen.Run(context.Background(), loadgen.Options{Workers: 1, Requests: 4, Duration: time.Minute, Now: clock},
		func(_ context.Context, _, seq int) (int, error) {
			now = now.Add(time.Duration(seq+1) * 100 * time.Millisecond) // 100, 200, 300, 400 ms
			return 200, nil
		})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d requests in %v: %.0f req/s, p50 %v, p99 %v\n",
		res.Requests, res.Elapsed, res.RequestsPerSecond(), res.Percentile(50), res.Percentile(99))
	// Output: 4 requests in 1s: 4 req/s, p50 200ms, p99 400ms
}
