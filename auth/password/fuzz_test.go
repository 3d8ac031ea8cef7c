package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth/password"
)

// FuzzDecodeHash: no panic; a decoded hash re-encodes to exactly the
// input (one canonical form) and has parameters within bounds.
func FuzzDecodeHash(f *testing.F) {
	for _, s := range malformedHashes {
		f.Add(s)
	}
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Fuzz(func(t *testing.T, enc string) {
		p, salt, key, err := password.DecodeHash(enc)
		if err != nil {
			if !errors.Is(err, password.ErrMalformedHash) || salt != nil || key != nil {
				t.Fatalf("err %v with salt %v key %v", err, salt, key)
			}
			return
		}
		if got := password.EncodeHash(p, salt, key); got != enc {
			t.Fatalf("round trip %q -> %q", enc, got)
		}
		if p.Memory > 1<<20 || p.Iterations > 64 || p.Parallelism == 0 || len(salt) < 8 || len(key) < 16 {
			t.Fatalf("out-of-bounds params accepted: %+v", p)
		}
	})
}

// FuzzCheckPolicy: no panic, and the verdict agrees with the rune count.
func FuzzCheckPolicy(f *testing.F) {
	f.Add(strings.Repeat("a", 11), "a@b.c")
	f.Add(strings.Repeat("é", 12), "a@b.c")
	f.Add("Alice@Example.com", "alice@example.com")
	f.Add("\xff\xfe", "")
	f.Fuzz(func(t *testing.T, pw, email string) {
		err := password.CheckPolicy(pw, email)
		n := len([]rune(pw))
		if err == nil && (n < password.MinRunes || n > password.MaxRunes || strings.EqualFold(strings.TrimSpace(pw), strings.TrimSpace(email)) && strings.TrimSpace(email) != "") {
			t.Fatalf("accepted %q (%d runes) for %q", pw, n, email)
		}
	})
}
