package auth_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth"
)

// BenchmarkCheckPasswordStrength measures the strength check on a typical
// weak password, a typical passphrase and the worst inputs found (long
// repeats, which drive zxcvbn's backtracking repeat matcher), at 16, 64 and
// 128 runes, the cap. The baseline is CheckPasswordPolicy on the same input
// (length and e-mail checks only).
func BenchmarkCheckPasswordStrength(b *testing.B) {
	inputs := []string{"alice.smith@example.com", "Alice Smith"}
	cases := []struct{ name, pw string }{
		{"weak", "password123"},
		{"passphrase", "correct horse battery staple"},
	}
	for _, n := range []int{16, 64, 128} {
		cases = append(cases,
			struct{ name, pw string }{fmt.Sprintf("repeat_a_%d", n), strings.Repeat("a", n)},
			struct{ name, pw string }{fmt.Sprintf("repeat_ab_%d", n), strings.Repeat("ab", n/2)},
			struct{ name, pw string }{fmt.Sprintf("mixed_%d", n), strings.Repeat("kQ7#vLp2", n/8)},
		)
	}
	cases = append(cases, struct{ name, pw string }{"over_cap_10000", strings.Repeat("a", 10_000)})
	for _, c := range cases {
		b.Run("baseline_policy/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = auth.CheckPasswordPolicy(c.pw, inputs[0])
			}
		})
		b.Run("strength/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = auth.CheckPasswordStrength(c.pw, inputs, 0)
			}
		})
	}
}

// BenchmarkCheckPasswordStrengthParallel checks that concurrent calls do
// not contend (zxcvbn's dictionaries are read-only after start-up).
func BenchmarkCheckPasswordStrengthParallel(b *testing.B) {
	inputs := []string{"alice.smith@example.com", "Alice Smith"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = auth.CheckPasswordStrength("correct horse battery staple", inputs, 0)
		}
	})
}
