package ratelimit_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/ratelimit"

	"github.com/rampart-go/rampart/internal/golden"
)

// TestWriteHeaders pins the headers clients see, row by row, against
// testdata/headers.golden (refresh with -update).
func TestWriteHeaders(t *testing.T) {
	t.Parallel()
	rows := []struct {
		name string
		d    ratelimit.Decision
	}{
		{"allowed_fresh_bucket", ratelimit.Decision{Allowed: true, Limit: 20, Remaining: 19, ResetAfter: 100 * time.Millisecond}},
		{"allowed_last_token", ratelimit.Decision{Allowed: true, Limit: 20, Remaining: 0, ResetAfter: 2 * time.Second}},
		{"refused_retry_rounds_up", ratelimit.Decision{Limit: 20, ResetAfter: 2*time.Second + time.Nanosecond, RetryAfter: 100*time.Millisecond + 1}},
		{"refused_retry_exact_second", ratelimit.Decision{Limit: 5, ResetAfter: time.Hour, RetryAfter: 12 * time.Minute}},
		{"refused_zero_retry_says_1", ratelimit.Decision{Limit: 5}},
		{"negative_remaining_clamped", ratelimit.Decision{Allowed: true, Limit: 5, Remaining: -3}},
		{"backend_refusal", ratelimit.Decision{Limit: 5, RetryAfter: time.Second}},
	}
	var b strings.Builder
	for _, row := range rows {
		h := http.Header{}
		ratelimit.WriteHeaders(h, row.d)
		if row.d.Allowed != (h.Get("Retry-After") == "") {
			t.Errorf("%s: Retry-After %q on allowed=%v", row.name, h.Get("Retry-After"), row.d.Allowed)
		}
		names := make([]string, 0, len(h))
		for k := range h {
			names = append(names, k)
		}
		sort.Strings(names)
		fmt.Fprintf(&b, "# %s\n", row.name)
		for _, k := range names {
			fmt.Fprintf(&b, "%s: %s\n", k, h.Get(k))
		}
	}
	golden.Check(t, "headers", []byte(b.String()))
}
