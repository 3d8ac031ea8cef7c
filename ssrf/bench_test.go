package ssrf

import (
	"context"
	"net/url"
	"testing"
)

// BenchmarkURLParse is the baseline: net/url alone.
func BenchmarkURLParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := url.Parse("https://api.example.com/hooks/42?x=1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckName: parse, host checks, a (fake, in-memory) lookup and
// the address check of every result.
func BenchmarkCheckName(b *testing.B) {
	g := &Guard{Resolver: testResolver()}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := g.Check(ctx, "https://api.example.com/hooks/42?x=1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckLiteral: an IP literal, no lookup.
func BenchmarkCheckLiteral(b *testing.B) {
	var g Guard
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := g.Check(ctx, "https://93.184.215.14/hooks/42?x=1"); err != nil {
			b.Fatal(err)
		}
	}
}
