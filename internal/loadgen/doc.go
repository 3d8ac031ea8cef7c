// Package loadgen is a small, bounded, closed-loop load generator for
// benchmarks against servers on this machine.
//
// Run starts Options.Workers goroutines that call a Func back to back until
// Options.Requests calls have been made or Options.Duration has passed,
// whichever comes first; a run never outlives Options.MaxDuration (default
// DefaultMaxDuration) or its context, so a load test always stops by itself.
// The Result has the throughput, the latency percentiles of the calls that
// succeeded, and failures counted apart (by HTTP status where there was
// one), so that a rate limiter's 429s are reported, not hidden in the
// latency figures.
//
// HTTP adapts an *http.Client and a request builder to a Func. The package
// sends traffic only where the caller's requests point; use it against
// loopback servers.
package loadgen
