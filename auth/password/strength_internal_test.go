package password

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestL33tTables: the bound on zxcvbn's substitution tables multiplies, per
// letter, the number of its symbols present.
func TestL33tTables(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
	}{
		{"correct horse battery staple", 1},
		{"P@ssw0rd", 1},    // a: @, o: 0 — one symbol each
		{"4@", 2},          // a: 4 or @
		{"1|7", 2 * 3 * 1}, // i: 1 |; l: 1 | 7; t: 7
		{"({[<", 4},        // c: four symbols
		{"4@({[<1!|7$5+69", 2 * 4 * 3 * 3 * 2 * 2 * 2}, // a c i l s t g
		{"é€日本", 1},
	}
	for _, tt := range tests {
		if got := l33tTables(tt.in); got != tt.want {
			t.Errorf("l33tTables(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestStrengthPrefix: plain input is cut at MaxStrengthRunes; input dense
// in l33t symbols is cut shorter, within the budget, never below 16 runes.
func TestStrengthPrefix(t *testing.T) {
	t.Parallel()
	dense := strings.Repeat("4@8({[<3691!|70$5+7%2x", 10)
	tests := []struct {
		name     string
		in       string
		wantRune int // 0: check the budget instead
	}{
		{"short_untouched", "password123", 11},
		{"plain_at_limit", strings.Repeat("a", MaxStrengthRunes), MaxStrengthRunes},
		{"plain_one_past_limit", strings.Repeat("a", MaxStrengthRunes+1), MaxStrengthRunes},
		{"multibyte_past_limit", strings.Repeat("é", 200), MaxStrengthRunes},
		{"l33t_dense_floor", dense, minStrengthRunes},
		{"few_l33t_symbols_full_length", strings.Repeat("p@ssw0rd", 20), MaxStrengthRunes},
		{"some_l33t_symbols", strings.Repeat("1|7abcdefgh4@", 10), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := strengthPrefix(tt.in)
			n := utf8.RuneCountInString(p)
			if !strings.HasPrefix(tt.in, p) {
				t.Fatalf("%q is not a prefix", p)
			}
			if tt.wantRune != 0 && n != tt.wantRune {
				t.Fatalf("prefix of %d runes, want %d", n, tt.wantRune)
			}
			if n > minStrengthRunes && l33tTables(p)*n*n*n > strengthBudget {
				t.Fatalf("prefix of %d runes with %d tables exceeds the budget", n, l33tTables(p))
			}
			if tt.wantRune == 0 && (n >= MaxStrengthRunes || n <= minStrengthRunes) {
				t.Fatalf("prefix of %d runes, want strictly between the floor and the cap", n)
			}
		})
	}
}
