package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/password"
)

// strengthUser is the account whose e-mail address and name are the user
// inputs of the strength tests.
var strengthUser = []string{"alice.smith@example.com", "Alice Smith"}

// TestCheckStrengthRefusesGuessable: the passwords attackers try
// first are refused at the default score, each with a message naming why.
func TestCheckStrengthRefusesGuessable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		password string
		// want are substrings the user-facing message must contain.
		want []string
	}{
		{"common_password_with_number", "password123", []string{"very common password"}},
		{"common_password_l33t_and_symbol", "P@ssw0rd!", []string{"common password", "substitutions", "@ for a", "a symbol appended"}},
		{"keyboard_row_with_digits", "qwertyuiop123", []string{"common password"}},
		{"own_email_with_1_appended", "alice.smith@example.com1", []string{"your e-mail address or name with a number appended", "do not use your e-mail address"}},
		{"own_name_with_year", "alice2024!", []string{"your e-mail address or name with digits and symbols appended"}},
		{"repeated_character_12", "aaaaaaaaaaaa", []string{`repeated character ("a")`, "avoid repeated"}},
		{"season_and_year", "Summer2024!", []string{"common password", "capitalising"}},
		{"common_password_all_caps_year", "PASSWORD2020", []string{"common password with a number appended", "all capitals"}},
		{"reversed_common_password", "drowssap123456", []string{"spelt backwards"}},
		{"alphabet_sequence", "abcdefghijklmnop", []string{"sequence"}},
		{"date", "19701231", []string{"a date"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := password.CheckStrength(tt.password, strengthUser, 0)
			if !errors.Is(err, password.ErrTooGuessable) {
				t.Fatalf("CheckStrength(%q) = %v, want ErrTooGuessable", tt.password, err)
			}
			var we *password.WeakError
			if !errors.As(err, &we) {
				t.Fatalf("error %T is not a *WeakError", err)
			}
			if we.Score >= password.DefaultMinScore || we.MinScore != password.DefaultMinScore {
				t.Errorf("score %d / min %d, want below %d", we.Score, we.MinScore, password.DefaultMinScore)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "password is too easy to guess: ") {
				t.Errorf("message %q lacks the prefix", msg)
			}
			for _, w := range append(tt.want, "add another word or two") {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, tt.password) {
				t.Errorf("message %q echoes the password", msg)
			}
		})
	}
}

// TestCheckStrengthAcceptsPassphrases: passphrases of unrelated
// words, and random strings, pass the default score without any symbol or
// capital.
func TestCheckStrengthAcceptsPassphrases(t *testing.T) {
	t.Parallel()
	for _, pw := range []string{
		"correct horse battery staple",
		"vanilla-otter-quietly-bakes",
		"zebra kettle forum lantern",
		"purple-monkey-dish",
		"xK9#mQ2$vL7p",
		"Tr0ub4dor&3",
		"日本語のパスワードです",
		strings.Repeat("quiet lantern ", 4) + "ferns", // repeats but long
	} {
		t.Run(pw, func(t *testing.T) {
			t.Parallel()
			if err := password.CheckStrength(pw, strengthUser, 0); err != nil {
				t.Errorf("CheckStrength(%q) = %v, want nil", pw, err)
			}
			if s := password.EstimateStrength(pw, strengthUser); s.Warning != "" || len(s.Suggestions) != 0 {
				t.Errorf("strong password %q got advice %q %q", pw, s.Warning, s.Suggestions)
			}
		})
	}
}

// TestCheckStrengthThreshold: a password is accepted at its own
// score and refused one above it.
func TestCheckStrengthThreshold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		password string
		minScore int
		ok       bool
	}{
		{"score3_at_default_min_passes", "Correcthorse!", 0, true},
		{"score3_at_min3_passes", "Correcthorse!", 3, true},
		{"score3_at_min4_refused", "Correcthorse!", 4, false},
		{"score2_at_min2_passes", "Summer2024!", 2, true},
		{"score2_at_min3_refused", "Summer2024!", 3, false},
		{"score0_at_min1_refused", "password123", 1, false},
		{"score4_at_min4_passes", "correct horse battery staple", 4, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := password.CheckStrength(tt.password, nil, tt.minScore)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckStrength(%q, min %d) = %v, want ok=%v (score %d)",
					tt.password, tt.minScore, err, tt.ok, password.EstimateStrength(tt.password, nil).Score)
			}
		})
	}
	// The score-3 password falls short at 4 with no weak pattern to name:
	// the advice is still actionable.
	err := password.CheckStrength("Correcthorse!", nil, 4)
	if err == nil || !strings.Contains(err.Error(), "add another word or two") {
		t.Errorf("min 4 refusal = %v, want advice to add words", err)
	}
}

// TestCheckStrengthUserInputs: the user's own e-mail address and
// name weaken a password that would pass for anyone else.
func TestCheckStrengthUserInputs(t *testing.T) {
	t.Parallel()
	pw := "alice.smith@example.com2024"
	if err := password.CheckStrength(pw, nil, 0); err != nil {
		t.Fatalf("without user inputs: %v, want accepted", err)
	}
	err := password.CheckStrength(pw, []string{"alice.smith@example.com"}, 0)
	if !errors.Is(err, password.ErrTooGuessable) || !strings.Contains(err.Error(), "e-mail address or name") {
		t.Fatalf("with the e-mail address as input: %v, want refused naming it", err)
	}
}

// TestCheckStrengthBadInput: misconfiguration and invalid text are
// errors of their own, not weak-password verdicts.
func TestCheckStrengthBadInput(t *testing.T) {
	t.Parallel()
	for _, min := range []int{-1, 5} {
		if err := password.CheckStrength("correct horse battery staple", nil, min); !errors.Is(err, auth.ErrConfig) {
			t.Errorf("minScore %d: %v, want ErrConfig", min, err)
		}
	}
	if err := password.CheckStrength("correct horse \xff battery", nil, 0); !errors.Is(err, password.ErrInvalidUTF8) {
		t.Errorf("invalid UTF-8: %v, want ErrInvalidUTF8", err)
	}
	if s := password.EstimateStrength("\xff", nil); s.Score != 0 {
		t.Errorf("invalid UTF-8 scored %d, want 0", s.Score)
	}
	if err := password.CheckStrength("", nil, 0); !errors.Is(err, password.ErrTooGuessable) {
		t.Errorf("empty password: %v, want refused", err)
	}
}

// TestEstimateStrengthBoundsInput: only the first MaxStrengthRunes
// runes count, so a long input costs no more than a 64-rune one and gets
// the verdict of its 64-rune prefix.
func TestEstimateStrengthBoundsInput(t *testing.T) {
	t.Parallel()
	n := password.MaxStrengthRunes
	tests := []struct {
		name, input string
	}{
		{"repeat_at_limit_then_strong_tail", strings.Repeat("a", n) + strings.Repeat("Zq9!", 10_000)},
		{"multibyte_at_limit_then_tail", strings.Repeat("é", n) + "kettle forum lantern"},
		{"one_past_limit", strings.Repeat("kettle forum lantern ", 3) + "zeb" + "x"},
		{"l33t_dense_past_limit", strings.Repeat("4@8({[<3691!|70$5+7%2", 20)},
		{"long_passphrase", strings.Repeat("kettle forum lantern ", 6) + "zebras"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			prefix := string([]rune(tt.input)[:n])
			want := password.EstimateStrength(prefix, nil)
			got := password.EstimateStrength(tt.input, nil)
			if got.Score != want.Score || got.Guesses != want.Guesses {
				t.Errorf("%d-rune input scored %d (%g guesses), want its %d-rune prefix's %d (%g)",
					len([]rune(tt.input)), got.Score, got.Guesses, n, want.Score, want.Guesses)
			}
		})
	}
	// A strong prefix makes a long password strong; a weak one refuses it.
	if err := password.CheckStrength(strings.Repeat("kettle forum lantern ", 6), nil, 4); err != nil {
		t.Errorf("long passphrase: %v", err)
	}
	if err := password.CheckStrength(strings.Repeat("a", n)+"kettle forum lantern zebra", nil, 0); err == nil {
		t.Error("64 repeated characters then words: accepted, want refused on the prefix")
	}
}
