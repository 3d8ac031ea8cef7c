package store

import (
	"errors"
	"testing"
)

// FuzzCursor feeds arbitrary pagination input (attacker-controlled `first`
// and `after`) to the page decoder: it never panics, a bad cursor is
// ErrBadCursor, the limit stays within [0, MaxPageSize], and a cursor it
// made decodes to the same position.
func FuzzCursor(f *testing.F) {
	f.Add(20, "")
	f.Add(1000000, *cursor(42))
	f.Add(-5, "garbage")
	f.Add(0, "YzotMQ")
	f.Fuzz(func(t *testing.T, first int, after string) {
		limit, seq, err := Page{First: &first, After: &after}.limits()
		if err != nil {
			if !errors.Is(err, ErrBadCursor) {
				t.Fatalf("error %v is not ErrBadCursor", err)
			}
			return
		}
		if limit < 0 || limit > MaxPageSize || seq < 0 {
			t.Fatalf("limit %d seq %d out of range", limit, seq)
		}
		if after != "" {
			if _, again, err := (Page{After: cursor(seq)}).limits(); err != nil || again != seq {
				t.Fatalf("round trip of %d: %d, %v", seq, again, err)
			}
		}
	})
}
