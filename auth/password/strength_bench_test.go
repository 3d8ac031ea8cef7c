package password_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth/password"
)

// BenchmarkCheckStrength measures the strength check on a typical
// weak password, a typical passphrase and crafted inputs at 16, 32 and 64
// runes (the cap): long repeats, which drive zxcvbn's backtracking repeat
// matcher, and strings dense in l33t symbols, which multiply its
// dictionary passes (the worst case found). The baseline is CheckPolicy on the same input
// (length and e-mail checks only).
func BenchmarkCheckStrength(b *testing.B) {
	inputs := []string{"alice.smith@example.com", "Alice Smith"}
	cases := []struct{ name, pw string }{
		{"weak", "password123"},
		{"passphrase", "correct horse battery staple"},
	}
	for _, n := range []int{16, 32, 64} {
		cases = append(cases,
			struct{ name, pw string }{fmt.Sprintf("repeat_a_%d", n), strings.Repeat("a", n)},
			struct{ name, pw string }{fmt.Sprintf("repeat_ab_%d", n), strings.Repeat("ab", n/2)},
			struct{ name, pw string }{fmt.Sprintf("mixed_%d", n), strings.Repeat("kQ7#vLp2", n/8)},
			struct{ name, pw string }{fmt.Sprintf("l33t_dense_%d", n), l33tDense(n)},
		)
	}
	cases = append(cases, struct{ name, pw string }{"over_cap_10000", strings.Repeat("a", 10_000)})
	for _, c := range cases {
		b.Run("baseline_policy/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = password.CheckPolicy(c.pw, inputs[0])
			}
		})
		b.Run("strength/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = password.CheckStrength(c.pw, inputs, 0)
			}
		})
	}
}

// BenchmarkCheckStrengthParallel checks that concurrent calls do
// not contend (zxcvbn's dictionaries are read-only after start-up).
func BenchmarkCheckStrengthParallel(b *testing.B) {
	inputs := []string{"alice.smith@example.com", "Alice Smith"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = password.CheckStrength("correct horse battery staple", inputs, 0)
		}
	})
}

// l33tDense returns n runes that mix every l33t symbol zxcvbn knows with
// letters, so that its l33t matcher tries the most substitution tables.
func l33tDense(n int) string {
	const pattern = "-%)]lN0+&7qL7(|y{Pk}7XwT,1/Z+T5~xDy+U,n(4@8({[<3691!|70$5+7%2"
	return strings.Repeat(pattern, n/len(pattern)+1)[:n]
}
