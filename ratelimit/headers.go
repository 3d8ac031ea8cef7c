package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// WriteHeaders sets the RateLimit-Limit, RateLimit-Remaining and
// RateLimit-Reset headers (IETF draft-ietf-httpapi-ratelimit-headers) from d,
// and Retry-After when d refused the request. Durations are rounded up to
// whole seconds so that a client waiting that long is never early.
func WriteHeaders(h http.Header, d Decision) {
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(max(d.Remaining, 0)))
	h.Set("RateLimit-Reset", strconv.Itoa(ceilSeconds(d.ResetAfter)))
	if !d.Allowed {
		h.Set("Retry-After", strconv.Itoa(max(ceilSeconds(d.RetryAfter), 1)))
	}
}

func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d.Seconds()))
}
