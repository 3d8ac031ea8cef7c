package ratelimit

import (
	"context"
	"errors"
)

// ErrNoSlot is returned by Slots.Acquire when key already holds max slots.
var ErrNoSlot = errors.New("ratelimit: no free slot")

// Slots caps how many things a key may hold at once, such as a caller's open
// WebSocket connections. Acquire takes one slot for key if fewer than max are
// held and returns a release function that gives it back (safe to call more
// than once); when all max slots are taken it returns ErrNoSlot. Backend
// failures wrap ErrBackend. Implementations shared by several processes hold
// slots as leases that expire if their holder dies without releasing them.
type Slots interface {
	Acquire(ctx context.Context, key string, max int) (release func(), err error)
}
