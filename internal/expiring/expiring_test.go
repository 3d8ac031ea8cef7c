package expiring_test

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/rampart-go/rampart/internal/expiring"
)

func key(s string) expiring.Key { return sha256.Sum256([]byte(s)) }

func TestAdd(t *testing.T) {
	t.Parallel()
	s := expiring.New(2)
	const sec = int64(time.Second)
	if o, _ := s.Add(key("a"), 10*sec, 0); o != expiring.Added {
		t.Fatalf("first a: %v", o)
	}
	if o, _ := s.Add(key("a"), 20*sec, 5*sec); o != expiring.Present {
		t.Fatalf("a again while live: %v", o)
	}
	if o, _ := s.Add(key("b"), 12*sec, 5*sec); o != expiring.Added {
		t.Fatalf("b: %v", o)
	}
	o, wait := s.Add(key("c"), 12*sec, 6*sec)
	if o != expiring.Full || wait != 4*time.Second {
		t.Fatalf("c when full: %v, wait %v; want Full, 4s", o, wait)
	}
	if s.Len() != 2 || s.Max() != 2 {
		t.Fatalf("Len %d Max %d", s.Len(), s.Max())
	}
	// At a's expiry it is no longer live: it is dropped and can come back.
	if o, _ := s.Add(key("a"), 30*sec, 10*sec); o != expiring.Added {
		t.Fatalf("a at its expiry: %v, want Added", o)
	}
	// An already expired key is reported new but not recorded.
	if o, _ := s.Add(key("d"), 10*sec, 11*sec); o != expiring.Added {
		t.Fatalf("expired d: %v", o)
	}
	if o, _ := s.Add(key("d"), 10*sec, 11*sec); o != expiring.Added {
		t.Fatalf("expired d was recorded: %v", o)
	}
	if s.Len() != 2 {
		t.Fatalf("Len = %d, want 2 (a, b)", s.Len())
	}
}
