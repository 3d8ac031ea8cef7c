package webhook

import (
	"fmt"
	"time"

	"github.com/rampart-go/rampart/internal/expiring"
)

// remember records a verified delivery in the replay cache until its
// timestamp leaves the window: a delivery stays a replay up to and including
// the instant exp. It fails with ErrReplayed when key is live, and with
// ErrReplayCacheFull (and the wait until a slot frees) when the cache is
// full of live entries: it refuses new ones rather than forget old ones,
// since forgetting would reopen a replay.
func remember(c *expiring.Set, key expiring.Key, exp, now int64) (time.Duration, error) {
	switch o, wait := c.Add(key, exp+1, now); o {
	case expiring.Present:
		return 0, fmt.Errorf("%w: identical delivery accepted earlier in the window", ErrReplayed)
	case expiring.Full:
		return wait, fmt.Errorf("%w: %d live entries", ErrReplayCacheFull, c.Max())
	}
	return 0, nil
}
