package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/99designs/gqlgen/graphql/introspection"

	"github.com/rampart-go/rampart/internal/gqltest"
)

// Row compares one Rampart figure with its baseline.
type Row struct {
	Label string
	// Key and Unit name the Rampart figure ("gqlsec.BenchmarkGuards/…", "ns/op").
	Key, Unit string
	// BaseKey and BaseUnit name the baseline; BaseKey "" means none, and
	// BaseNote (if any) is shown in its place.
	BaseKey, BaseUnit, BaseNote string
	// Div and BaseDiv, when non-zero, divide the values (document bytes,
	// for time per byte).
	Div, BaseDiv float64
	// RatioMax / RatioMin are goals on Rampart ÷ baseline (0: none).
	RatioMax, RatioMin float64
	// AbsMax is a goal on the Rampart value itself (0: none).
	AbsMax float64
}

// Section is a titled group of rows.
type Section struct {
	Title, Note string
	Rows        []Row
}

// docs are the documents of complexity's and gqlsec's benchmarks, by
// sub-benchmark name, for time per byte.
func docs() []struct{ name, q string } {
	return []struct{ name, q string }{
		{"typical_20_fields", gqltest.Typical},
		{"depth_20", gqltest.Deep(20)},
		{"aliases_1000", gqltest.Aliases(1000)},
		{"fragment_bomb_10x10", gqltest.FragmentBomb(10, 10)},
		{"tokens_15000", gqltest.Aliases(2490)},
		{"introspection_query", introspection.Query},
	}
}

// Sections is the report: what the performance issue asks to see.
func Sections() []Section {
	var static, scaling []Row
	for _, d := range docs() {
		static = append(static,
			Row{Label: "guards, repeated document: " + d.name, Key: "gqlsec.BenchmarkGuards/repeated/" + d.name, Unit: "ns/op",
				BaseKey: "gqlsec.BenchmarkBaselineParseValidate/" + d.name, RatioMax: 0.25},
			// first_seen includes the validation gqlgen then skips (its
			// query cache is filled by gqlsec), so the extra cost is
			// ratio - 1: the goal "extra ≤ 0.25×" is a ratio ≤ 1.25.
			Row{Label: "guards + validation, first-seen document (extra = ratio − 1): " + d.name, Key: "gqlsec.BenchmarkGuards/first_seen/" + d.name, Unit: "ns/op",
				BaseKey: "gqlsec.BenchmarkBaselineParseValidate/" + d.name, RatioMax: 1.25},
			Row{Label: "first-seen document through gqlgen's executor, hardened vs bare gqlgen (same query cache): " + d.name, Key: "gqlsec.BenchmarkFirstSeen/" + d.name + "/hardened", Unit: "ns/op",
				BaseKey: "gqlsec.BenchmarkFirstSeen/" + d.name + "/bare_gqlgen", RatioMax: 1.25},
			Row{Label: "complexity.Analyze: " + d.name, Key: "complexity.BenchmarkAnalyze/" + d.name, Unit: "ns/op",
				BaseKey: "complexity.BenchmarkParseValidate/" + d.name, RatioMax: 0.25},
		)
		if d.name != "fragment_bomb_10x10" {
			static = append(static, Row{Label: "complexity.Analyze vs gqlgen Calculate: " + d.name, Key: "complexity.BenchmarkAnalyze/" + d.name, Unit: "ns/op",
				BaseKey: "complexity.BenchmarkGqlgenComplexity/" + d.name})
		}
	}
	for _, l := range []int{1, 2, 3, 4, 5, 10, 20, 40} {
		r := Row{Label: fmt.Sprintf("fragment bomb, %d levels × 10 spreads: Analyze vs gqlgen Calculate", l),
			Key: fmt.Sprintf("complexity.BenchmarkFragmentBombSeries/rampart/levels=%d", l), Unit: "ns/op"}
		if l <= 5 {
			r.BaseKey = fmt.Sprintf("complexity.BenchmarkFragmentBombSeries/gqlgen/levels=%d", l)
		} else {
			r.BaseNote = "not run (10^" + fmt.Sprint(l) + " fields)"
		}
		scaling = append(scaling, r)
	}
	size := map[string]float64{}
	for _, d := range docs() {
		size[d.name] = float64(len(d.q))
	}
	for _, name := range []string{"typical_20_fields", "aliases_1000", "tokens_15000"} {
		scaling = append(scaling,
			Row{Label: fmt.Sprintf("time per byte, Analyze: %s (%d B)", name, int(size[name])), Key: "complexity.BenchmarkAnalyze/" + name, Unit: "ns/op", Div: size[name],
				BaseKey: "complexity.BenchmarkParseValidate/" + name, BaseDiv: size[name]},
			Row{Label: fmt.Sprintf("time per byte, guards first-seen: %s (%d B)", name, int(size[name])), Key: "gqlsec.BenchmarkGuards/first_seen/" + name, Unit: "ns/op", Div: size[name],
				BaseKey: "gqlsec.BenchmarkBaselineParseValidate/" + name, BaseDiv: size[name]},
		)
	}
	scaling = append(scaling,
		Row{Label: "flatness: Analyze ns/B, 2490 aliases ÷ 1000 aliases", Key: "complexity.BenchmarkAnalyze/tokens_15000", Unit: "ns/op", Div: size["tokens_15000"],
			BaseKey: "complexity.BenchmarkAnalyze/aliases_1000", BaseDiv: size["aliases_1000"], RatioMax: 1.5},
		Row{Label: "flatness: guards (first seen) ns/B, 2490 ÷ 1000 aliases", Key: "gqlsec.BenchmarkGuards/first_seen/tokens_15000", Unit: "ns/op", Div: size["tokens_15000"],
			BaseKey: "gqlsec.BenchmarkGuards/first_seen/aliases_1000", BaseDiv: size["aliases_1000"], RatioMax: 1.5},
	)

	return []Section{
		{Title: "Static guards vs parse+validate", Note: "Rampart: everything gqlsec.Install adds before validation (parse with token limit, one analysis, every check; limits off), and complexity.Analyze alone. Baseline: gqlparser parse + validate, which gqlgen does anyway.", Rows: static},
		{Title: "Fragment bombs and flat documents", Note: "Analyze memoizes fragments (linear in levels); gqlgen's Calculate expands them (10× per level). Time per byte should stay flat as documents grow.", Rows: scaling},
		{Title: "Early verdict and strict requests", Note: "The pre-scan refuses a hostile document at the first token over a limit, before gqlparser parses it; the strict request check runs before gqlgen decodes the body.", Rows: []Row{
			{Label: "time to refuse 1,000 aliases vs a gqlparser parse", Key: "gqlsec.BenchmarkPrescan/aliases_1000/prescan", Unit: "ns/op", BaseKey: "gqlsec.BenchmarkPrescan/aliases_1000/gqlparser_parse", RatioMax: 0.2},
			{Label: "time to refuse 15,000 tokens vs a gqlparser parse", Key: "gqlsec.BenchmarkPrescan/tokens_15000/prescan", Unit: "ns/op", BaseKey: "gqlsec.BenchmarkPrescan/tokens_15000/gqlparser_parse", RatioMax: 0.2},
			{Label: "time to refuse depth 5,000 vs a gqlparser parse", Key: "gqlsec.BenchmarkPrescan/depth_5000/prescan", Unit: "ns/op", BaseKey: "gqlsec.BenchmarkPrescan/depth_5000/gqlparser_parse", RatioMax: 0.05},
			{Label: "pre-scan of the benign typical document vs its first-seen guards + validation", Key: "gqlsec.BenchmarkPrescan/typical_20_fields/prescan", Unit: "ns/op", BaseKey: "gqlsec.BenchmarkGuards/first_seen/typical_20_fields", RatioMax: 0.05},
			{Label: "pre-scan of the benign typical document vs its parse alone", Key: "gqlsec.BenchmarkPrescan/typical_20_fields/prescan", Unit: "ns/op", BaseKey: "gqlsec.BenchmarkPrescan/typical_20_fields/gqlparser_parse"},
			{Label: "strict request check vs encoding/json decode of the same body", Key: "gqlsec.BenchmarkCheckRequestBody/strict_check", Unit: "ns/op", BaseKey: "gqlsec.BenchmarkCheckRequestBody/encoding_json_decode", RatioMax: 1.2},
		}},
		{Title: "Rate-limit decisions", Rows: []Row{
			{Label: "Memory.Allow (existing key, real clock) vs bare x/time AllowN", Key: "ratelimit.BenchmarkMemoryAllow", Unit: "ns/op", BaseKey: "ratelimit.BenchmarkXTimeAllowN", AbsMax: 100},
			{Label: "Memory.Allow, injected clock vs x/time, fixed time", Key: "ratelimit.BenchmarkMemoryAllowFixedClock", Unit: "ns/op", BaseKey: "ratelimit.BenchmarkXTimeAllowNFixedTime"},
			{Label: "Memory.Allow, RunParallel over 1024 keys", Key: "ratelimit.BenchmarkMemoryAllowParallel", Unit: "ns/op", BaseKey: "ratelimit.BenchmarkXTimeAllowN", AbsMax: 150},
			{Label: "Memory.Allow, new key in a full table (flood)", Key: "ratelimit.BenchmarkMemoryAllowNewKey", Unit: "ns/op", BaseKey: "ratelimit.BenchmarkXTimeAllowN"},
			{Label: "redisrl.Limiter.Allow (one EVALSHA on loopback) vs Memory.Allow", Key: "ratelimit/redisrl.BenchmarkAllow", Unit: "ns/op", BaseKey: "ratelimit.BenchmarkMemoryAllow"},
			{Label: "redisrl.Limiter.Allow, RunParallel vs Memory.Allow parallel", Key: "ratelimit/redisrl.BenchmarkAllowParallel", Unit: "ns/op", BaseKey: "ratelimit.BenchmarkMemoryAllowParallel"},
			{Label: "httpsec.RateLimit middleware vs bare handler", Key: "httpsec.BenchmarkRateLimit", Unit: "ns/op", BaseKey: "httpsec.BenchmarkBare"},
			{Label: "@rateLimit(by: IP) directive vs bare resolver", Key: "directives.BenchmarkRateLimit/ip", Unit: "ns/op", BaseKey: "directives.BenchmarkBareResolver"},
		}},
		{Title: "WebSocket", Rows: []Row{
			{Label: "messages/s, benign 74-byte JSON: guarded vs raw coder/websocket", Key: "wssec.BenchmarkThroughput/guarded/benign", Unit: "msgs/s", BaseKey: "wssec.BenchmarkThroughput/raw/benign", RatioMin: 0.8},
			{Label: "messages/s, JSON with markup to strip: guarded vs raw", Key: "wssec.BenchmarkThroughput/guarded/hostile", Unit: "msgs/s", BaseKey: "wssec.BenchmarkThroughput/raw/hostile"},
			{Label: "server memory per idle connection (1,000 conns)", Key: "wssec.BenchmarkIdleConnMemory/guarded", Unit: "B/conn", BaseKey: "wssec.BenchmarkIdleConnMemory/raw", AbsMax: 24 << 10},
			{Label: "server memory per idle connection (5,000 conns)", Key: "wssec.BenchmarkIdleConnMemory/guarded_5000", Unit: "B/conn", BaseKey: "wssec.BenchmarkIdleConnMemory/raw_5000", AbsMax: 24 << 10},
			{Label: "gqlws ping/pong round trips/s vs gqlgen's default", Key: "wssec/gqlws.BenchmarkRoundTrip/gqlws", Unit: "msgs/s", BaseKey: "wssec/gqlws.BenchmarkRoundTrip/gqlgen_default"},
		}},
		{Title: "HTTP middleware and per-request overhead", Rows: []Row{
			{Label: "httpsec full chain (7 middleware) vs bare handler", Key: "httpsec.BenchmarkFullChain", Unit: "ns/op", BaseKey: "httpsec.BenchmarkBare"},
			{Label: "httpsec.SecureHeaders", Key: "httpsec.BenchmarkSecureHeaders", Unit: "ns/op", BaseKey: "httpsec.BenchmarkBare"},
			{Label: "httpsec.CORS (allowed origin)", Key: "httpsec.BenchmarkCORS", Unit: "ns/op", BaseKey: "httpsec.BenchmarkBare"},
			{Label: "httpsec.CSRF", Key: "httpsec.BenchmarkCSRF", Unit: "ns/op", BaseKey: "httpsec.BenchmarkBare"},
			{Label: "httpsec.BodyLimit", Key: "httpsec.BenchmarkBodyLimit", Unit: "ns/op", BaseKey: "httpsec.BenchmarkBare"},
			{Label: "httpsec.RequestID", Key: "httpsec.BenchmarkRequestID", Unit: "ns/op", BaseKey: "httpsec.BenchmarkBare"},
			{Label: "httpsec.ClientIP", Key: "httpsec.BenchmarkClientIP", Unit: "ns/op", BaseKey: "httpsec.BenchmarkBare"},
			{Label: "auth.Middleware, anonymous", Key: "auth.BenchmarkMiddleware/anonymous", Unit: "ns/op", BaseKey: "auth.BenchmarkMiddleware/baseline_bare_handler"},
			{Label: "auth.Middleware, HS256 bearer", Key: "auth.BenchmarkMiddleware/bearer_HS256", Unit: "ns/op", BaseKey: "auth.BenchmarkMiddleware/baseline_bare_handler"},
			{Label: "JWT verify (all checks) vs bare jwt/v5 parse, HS256", Key: "auth/jwt.BenchmarkVerify/HS256/rampart_verify", Unit: "ns/op", BaseKey: "auth/jwt.BenchmarkVerify/HS256/baseline_jwt_parse"},
			{Label: "gqlsec.Handler vs bare gqlgen, typical query in memory", Key: "gqlsec.BenchmarkServer/rampart_Handler", Unit: "ns/op", BaseKey: "gqlsec.BenchmarkServer/bare_gqlgen"},
			{Label: "gqlgen FixedComplexityLimit vs bare gqlgen (for comparison)", Key: "gqlsec.BenchmarkServer/gqlgen_FixedComplexityLimit", Unit: "ns/op", BaseKey: "gqlsec.BenchmarkServer/bare_gqlgen"},
			{Label: "directives: ~40-field query, @auth/@owner + default deny vs pass-through", Key: "directives.BenchmarkQuery/rampart", Unit: "ns/op", BaseKey: "directives.BenchmarkQuery/bare"},
			{Label: "@auth directive vs bare resolver call", Key: "directives.BenchmarkAuth", Unit: "ns/op", BaseKey: "directives.BenchmarkBareResolver"},
			{Label: "default-deny GuardField vs bare resolver call", Key: "directives.BenchmarkInterceptField", Unit: "ns/op", BaseKey: "directives.BenchmarkBareResolver"},
		}},
		{Title: "End to end: demo server under load on loopback", Note: "Same benign query (10 posts with authors, 11 SQLite reads), 8 closed-loop clients in the same process, spread over 16,384 client addresses via X-Forwarded-For from a trusted loopback proxy. Bare: the demo schema, resolvers and store on gqlgen's handler.New with pass-through directives. Hardened: the demo app as run builds it. Both keep 8 idle SQLite connections (see PERFORMANCE.md). Throughput on a shared machine follows the other load; CPU per request hardly does.", Rows: []Row{
			{Label: "requests/s: hardened demo vs bare gqlgen", Key: "demo/server.BenchmarkEndToEnd/hardened", Unit: "req/s", BaseKey: "demo/server.BenchmarkEndToEnd/bare", RatioMin: 0.85},
			{Label: "CPU per request, process total (client + server)", Key: "demo/server.BenchmarkEndToEnd/hardened", Unit: "cpu-µs/op", BaseKey: "demo/server.BenchmarkEndToEnd/bare", RatioMax: 1.10},
			{Label: "p50 latency", Key: "demo/server.BenchmarkEndToEnd/hardened", Unit: "p50-ms", BaseKey: "demo/server.BenchmarkEndToEnd/bare"},
			{Label: "p99 latency", Key: "demo/server.BenchmarkEndToEnd/hardened", Unit: "p99-ms", BaseKey: "demo/server.BenchmarkEndToEnd/bare"},
			{Label: "allocations per request (client and server)", Key: "demo/server.BenchmarkEndToEnd/hardened", Unit: "allocs/op", BaseKey: "demo/server.BenchmarkEndToEnd/bare"},
			{Label: "failed requests (other than 429)", Key: "demo/server.BenchmarkEndToEnd/hardened", Unit: "errors", BaseKey: "demo/server.BenchmarkEndToEnd/bare"},
			{Label: "429 Too Many Requests", Key: "demo/server.BenchmarkEndToEnd/hardened", Unit: "429s", BaseKey: "demo/server.BenchmarkEndToEnd/bare"},
		}},
	}
}

// Line is one evaluated row.
type Line struct {
	Row
	Value, Base       float64
	HasValue, HasBase bool
	N                 int
}

// Ratio is Value ÷ Base, NaN without both.
func (l Line) Ratio() float64 {
	if !l.HasValue || !l.HasBase || l.Base == 0 {
		return math.NaN()
	}
	return l.Value / l.Base
}

// Verdict is "ok", "MISSED" or "" (no goal or no data).
func (l Line) Verdict() string {
	if !l.HasValue {
		return ""
	}
	r := l.Ratio()
	switch {
	case l.AbsMax > 0:
		return verdict(l.Value <= l.AbsMax)
	case l.RatioMax > 0 && !math.IsNaN(r):
		return verdict(r <= l.RatioMax)
	case l.RatioMin > 0 && !math.IsNaN(r):
		return verdict(r >= l.RatioMin)
	}
	return ""
}

func verdict(ok bool) string {
	if ok {
		return "ok"
	}
	return "MISSED"
}

// Evaluate takes the medians for a row.
func Evaluate(s Samples, r Row) Line {
	l := Line{Row: r}
	l.Value, l.N, l.HasValue = s.Get(r.Key, r.Unit)
	if r.Div > 0 {
		l.Value /= r.Div
	}
	if r.BaseKey != "" {
		unit := r.BaseUnit
		if unit == "" {
			unit = r.Unit
		}
		l.Base, _, l.HasBase = s.Get(r.BaseKey, unit)
		if r.BaseDiv > 0 {
			l.Base /= r.BaseDiv
		}
	}
	return l
}

// format renders a value in the row's unit.
func format(v float64, unit string, perByte bool) string {
	switch {
	case perByte:
		return fmt.Sprintf("%.2f ns/B", v)
	case unit == "ns/op":
		return formatNs(v)
	case unit == "B/conn":
		return fmt.Sprintf("%.1f KiB", v/1024)
	case unit == "msgs/s" || unit == "req/s":
		return fmt.Sprintf("%s/s", thousands(v))
	case strings.HasSuffix(unit, "-ms"):
		return fmt.Sprintf("%.2f ms", v)
	case unit == "cpu-µs/op":
		return fmt.Sprintf("%.0f µs", v)
	case unit == "allocs/op":
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.4g", v)
}

func formatNs(ns float64) string {
	a := math.Abs(ns)
	switch {
	case a >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case a >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.1f ns", ns)
}

func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func goalText(r Row) string {
	switch {
	case r.AbsMax > 0 && r.Unit == "ns/op":
		return fmt.Sprintf("≤ %.0f ns", r.AbsMax)
	case r.AbsMax > 0:
		return fmt.Sprintf("≤ %.0f KiB", r.AbsMax/1024)
	case r.RatioMax > 0:
		return fmt.Sprintf("≤ %.3g×", r.RatioMax)
	case r.RatioMin > 0:
		return fmt.Sprintf("≥ %g×", r.RatioMin)
	}
	return ""
}

// Write prints the report as Markdown tables and returns how many goals
// were missed and how many rows had no data.
func Write(w io.Writer, s Samples, sections []Section) (missed, missing int) {
	for _, sec := range sections {
		fmt.Fprintf(w, "\n### %s\n\n", sec.Title)
		if sec.Note != "" {
			fmt.Fprintf(w, "%s\n\n", sec.Note)
		}
		fmt.Fprintln(w, "| measure | Rampart | baseline | ratio | Δ | goal |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|")
		for _, r := range sec.Rows {
			l := Evaluate(s, r)
			val, base, ratio, delta := "n/a", "—", "", ""
			if l.HasValue {
				val = format(l.Value, r.Unit, r.Div > 0)
			} else {
				missing++
			}
			switch {
			case l.HasBase:
				base = format(l.Base, r.Unit, r.BaseDiv > 0)
			case r.BaseKey != "":
				base = "n/a"
			case r.BaseNote != "":
				base = r.BaseNote
			}
			if q := l.Ratio(); !math.IsNaN(q) {
				ratio = fmt.Sprintf("%.2f×", q)
				if r.Unit == "ns/op" && r.Div == 0 {
					d := l.Value - l.Base
					delta = formatNs(d)
					if d >= 0 {
						delta = "+" + delta
					}
				}
			}
			g := goalText(r)
			if v := l.Verdict(); v != "" {
				g += " " + v
				if v == "MISSED" {
					missed++
				}
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.Label, val, base, ratio, delta, strings.TrimSpace(g))
		}
	}
	return missed, missing
}
