package password_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rampart-go/rampart/auth/password"
)

// FuzzCheckStrength: no panic on any password or user input; the
// score stays in range; the verdict agrees with the score; a refusal is a
// *WeakError with a message for the user; and input past MaxStrengthRunes runes
// changes nothing (so the cost is bounded by the prefix).
func FuzzCheckStrength(f *testing.F) {
	for _, seed := range []struct{ pw, email, name string }{
		{"password123", "alice.smith@example.com", "Alice Smith"},
		{"P@ssw0rd!", "a@b.c", ""},
		{"qwertyuiop123", "", ""},
		{"alice.smith@example.com1", "alice.smith@example.com", "Alice Smith"},
		{"aaaaaaaaaaaa", "", ""},
		{"correct horse battery staple", "x@y.z", "X"},
		{"Correcthorse!", "", ""},
		{strings.Repeat("ab", 70), "@@@", "...."},
		{"\xff\xfe", "\xff@\xfe", "\x00"},
		{"19701231", "1970@12.31", "31 12"},
	} {
		f.Add(seed.pw, seed.email, seed.name, 0)
	}
	f.Fuzz(func(t *testing.T, pw, email, name string, min int) {
		min = ((min % 5) + 5) % 5 // 0..4: the valid range
		inputs := []string{email, name}
		err := password.CheckStrength(pw, inputs, min)
		if !utf8.ValidString(pw) {
			if !errors.Is(err, password.ErrInvalidUTF8) {
				t.Fatalf("invalid UTF-8 %q: %v", pw, err)
			}
			return
		}
		s := password.EstimateStrength(pw, inputs)
		if s.Score < 0 || s.Score > password.MaxScore {
			t.Fatalf("score %d out of range for %q", s.Score, pw)
		}
		want := min
		if want == 0 {
			want = password.DefaultMinScore
		}
		if (err == nil) != (s.Score >= want) {
			t.Fatalf("%q: score %d, min %d, err %v", pw, s.Score, want, err)
		}
		if err != nil {
			var we *password.WeakError
			if !errors.As(err, &we) || !errors.Is(err, password.ErrTooGuessable) || len(we.Suggestions) == 0 {
				t.Fatalf("%q: refusal %#v lacks advice", pw, err)
			}
		}
		if utf8.RuneCountInString(pw) > password.MaxStrengthRunes {
			prefix := string([]rune(pw)[:password.MaxStrengthRunes])
			if p := password.EstimateStrength(prefix, inputs); p.Score != s.Score || p.Guesses != s.Guesses {
				t.Fatalf("%q scored %d, its 64-rune prefix %d", pw, s.Score, p.Score)
			}
		}
	})
}
