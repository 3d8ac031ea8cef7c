// Command benchpeers times Rampart's gqlsec and graphql-armor (on
// graphql-js, the pinned npm packages in scripts/peers) on the same
// documents and the same schema, in interleaved rounds, and prints each
// document's median time to a verdict and the ratio. `make bench-peers` runs
// it; see PERFORMANCE.md.
//
// Two settings: both guards at graphql-armor's defaults (tokens 1,000,
// aliases 15, depth 6, directives 50, cost 5,000), and both at Rampart's
// defaults (tokens 15,000, aliases 30, depth 15, directives 50, cost 5,000).
// Each iteration reads a text not seen recently (the document plus a
// numbered comment, from a ring built beforehand), so neither side answers
// from a cache: this is a first-seen document's time to verdict. Times are
// CPU time per document (user + system of the process, getrusage and
// process.cpuUsage), not wall time, so that other work on a shared machine
// does not count. Rampart's time is gqlgen's executor building the
// operation context with gqlsec installed (every guard, and for an
// accepted document gqlgen's parse and validation); armor's is graphql-js
// parsing with armor's token limit and validating with its own rules and
// armor's. Neither side decodes JSON or speaks HTTP. Each side runs every
// document untimed for a quarter of the time first (V8 compiles what it
// runs; Go's heap grows), then times it.
//
// A second table compares each side with its own bare server on the
// documents both accept (gqlgen's executor without gqlsec; graphql-js's
// parse and validate without armor), measured the same way, last.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/rampart-go/rampart/complexity"
	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/internal/gqltest"
)

type setting struct {
	Name       string `json:"name"`
	Tokens     int    `json:"tokens"`
	Aliases    int    `json:"aliases"`
	Depth      int    `json:"depth"`
	Directives int    `json:"directives"`
	Cost       int    `json:"cost"`
}

type doc struct {
	Name  string `json:"name"`
	Query string `json:"query"`
}

type result struct {
	Doc     string  `json:"doc"`
	Setting string  `json:"setting"`
	NsPerOp float64 `json:"nsPerOp"`
	Verdict string  `json:"verdict"`
}

var settings = []setting{
	{"armor defaults", 1000, 15, 6, 50, 5000},
	{"Rampart defaults", 15000, 30, 15, 50, 5000},
}

func docs() []doc {
	return []doc{
		{"typical (20 fields)", `query Feed { posts(first: 5) { nodes { id title body createdAt author { id name email role createdAt } comments(first: 3) { nodes { id body createdAt author { id name } } } } pageInfo { hasNextPage endCursor } } }`},
		{"depth 20", gqltest.Deep(20)},
		{"1,000 aliases", gqltest.Aliases(1000)},
		{"fragment bomb 10×10", gqltest.FragmentBomb(10, 10)},
		{"15,000 tokens", gqltest.Echo(15000)},
		{"introspection", introspection.Query},
	}
}

func main() {
	rounds := flag.Int("rounds", 5, "interleaved rounds")
	minTime := flag.Duration("time", 300*time.Millisecond, "minimum time per document, setting and round on each side")
	peers := flag.String("peers", "scripts/peers", "folder of armor.mjs and its node_modules")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of Rampart's side to this file")
	only := flag.String("doc", "", "time only the document with this name (default: all)")
	flag.Parse()
	if _, err := os.Stat(filepath.Join(*peers, "node_modules", "@escape.tech", "graphql-armor")); err != nil {
		log.Fatalf("graphql-armor is not installed: run `npm ci --prefix %s` (make bench-peers does): %v", *peers, err)
	}
	spec, err := json.Marshal(map[string]any{
		"sdl": complexity.DirectivesSDL + "\n" + gqltest.SDL, "docs": docs(), "settings": settings,
		"minMillis": minTime.Milliseconds(),
	})
	if err != nil {
		log.Fatal(err)
	}
	specFile := filepath.Join(os.TempDir(), fmt.Sprintf("rampart-peers-%d.json", os.Getpid()))
	if err := os.WriteFile(specFile, spec, 0o600); err != nil {
		log.Fatal(err)
	}
	defer os.Remove(specFile)

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	type key struct{ doc, setting string }
	rampart, armor := map[key][]float64{}, map[key][]float64{}
	bare := setting{Name: "bare"}
	verdicts := map[key][2]string{}
	for r := range *rounds {
		fmt.Fprintf(os.Stderr, "round %d/%d: graphql-armor\n", r+1, *rounds)
		out, err := exec.Command("node", filepath.Join(*peers, "armor.mjs"), specFile).Output()
		if err != nil {
			log.Fatalf("node armor.mjs: %v", err)
		}
		var res []result
		if err := json.Unmarshal(out, &res); err != nil {
			log.Fatalf("armor.mjs output: %v: %s", err, out)
		}
		for _, x := range res {
			k := key{x.Doc, x.Setting}
			armor[k] = append(armor[k], x.NsPerOp)
			v := verdicts[k]
			v[1] = x.Verdict
			verdicts[k] = v
		}
		fmt.Fprintf(os.Stderr, "round %d/%d: Rampart\n", r+1, *rounds)
		for _, s := range append(settings[:len(settings):len(settings)], bare) {
			e := bareExecutor()
			if s != bare {
				e = rampartExecutor(s)
			}
			for _, d := range docs() {
				if *only != "" && d.Name != *only {
					continue
				}
				k := key{d.Name, s.Name}
				ns, verdict := timeRampart(e, d.Query, *minTime)
				rampart[k] = append(rampart[k], ns)
				v := verdicts[k]
				v[0] = verdict
				verdicts[k] = v
			}
		}
	}
	fmt.Printf("| document | setting | Rampart | graphql-armor | armor ÷ Rampart | Rampart's verdict | armor's verdict |\n|---|---|---|---|---|---|---|\n")
	for _, s := range settings {
		for _, d := range docs() {
			k := key{d.Name, s.Name}
			rm, am := median(rampart[k]), median(armor[k])
			fmt.Printf("| %s | %s | %s | %s | **%.1f×** | %s | %s |\n", d.Name, s.Name, dur(rm), dur(am), am/rm, verdicts[k][0], verdicts[k][1])
		}
	}
	fmt.Printf("\nOn the documents both accept, each side against its own bare server (gqlgen's executor without gqlsec; graphql-js's parse and validate without armor):\n\n")
	fmt.Printf("| document | setting | bare gqlgen | Rampart | Rampart ÷ bare | bare graphql-js | graphql-armor | armor ÷ bare |\n|---|---|---|---|---|---|---|---|\n")
	for _, s := range settings {
		for _, d := range docs() {
			k, b := key{d.Name, s.Name}, key{d.Name, bare.Name}
			if verdicts[k] != [2]string{"accepted", "accepted"} {
				continue
			}
			rm, am, rb, ab := median(rampart[k]), median(armor[k]), median(rampart[b]), median(armor[b])
			fmt.Printf("| %s | %s | %s | %s | %.2f× | %s | %s | %.2f× |\n", d.Name, s.Name, dur(rb), dur(rm), rm/rb, dur(ab), dur(am), am/ab)
		}
	}
}

// execServer lets gqlsec.Install equip a bare gqlgen executor: the
// benchmark times the verdict on a document, not HTTP or JSON decoding
// (which any server pays, armor's included).
type execServer struct{ *executor.Executor }

func (execServer) ServeHTTP(http.ResponseWriter, *http.Request) {}
func (s execServer) SetValidationRulesFn(f func() *rules.Rules) { s.SetDefaultRulesFn(f) }

// bareExecutor is gqlgen's executor as a server without Rampart has it,
// over the same schema.
func bareExecutor() *executor.Executor { return executor.New(answerAtOnce()) }

// rampartExecutor is gqlgen's executor with gqlsec installed at setting s.
func rampartExecutor(s setting) *executor.Executor {
	e := executor.New(answerAtOnce())
	err := gqlsec.Install(execServer{e}, gqlsec.Config{
		Limits: gqlsec.OperationLimits{Tokens: s.Tokens, Aliases: s.Aliases, Depth: s.Depth, Directives: s.Directives},
		Cost:   gqlsec.CostLimit{Max: s.Cost},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	return e
}

// answerAtOnce is an executable schema over the test schema that answers
// every operation at once: the benchmark times verdicts, not resolvers.
func answerAtOnce() graphql.ExecutableSchema {
	schema := gqltest.Schema()
	es := &graphql.ExecutableSchemaMock{
		SchemaFunc:     func() *ast.Schema { return schema },
		ComplexityFunc: func(context.Context, string, string, int, map[string]any) (int, bool) { return 0, false },
		ExecFunc: func(context.Context) graphql.ResponseHandler {
			return graphql.OneShot(&graphql.Response{Data: []byte(`{}`)})
		},
	}
	return es
}

// ring returns n texts of query, each with its own trailing comment, so
// that every iteration parses a text the server has not seen (or, past n,
// not seen for n iterations: more than the query cache's 1,000 documents
// for small documents; refused documents are never cached).
func ring(query string) []string {
	n := 2048
	if len(query) > 4096 {
		n = 64
	}
	out := make([]string, n)
	for i := range out {
		out[i] = query + "\n# " + strconv.Itoa(i)
	}
	return out
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// timeRampart returns the CPU time per document to a verdict (the
// operation context gqlgen builds before execution: every guard, and for
// an accepted document gqlgen's parse and validation) and the verdict.
func timeRampart(e *executor.Executor, query string, minTime time.Duration) (float64, string) {
	ctx := graphql.StartOperationTrace(context.Background())
	texts := ring(query)
	do := func(i int) gqlerror.List {
		_, errs := e.CreateOperationContext(ctx, &graphql.RawParams{Query: texts[i%len(texts)]})
		return errs
	}
	verdict := "accepted"
	if errs := do(0); len(errs) > 0 {
		code, _ := errs[0].Extensions["code"].(string)
		verdict = "refused: " + code
	}
	run := func(minTime time.Duration) float64 {
		runtime.GC()
		n, start := 0, cpuTime()
		for cpuTime()-start < minTime || n < 3 {
			for range 10 {
				do(n + 1)
				n++
			}
		}
		return float64((cpuTime() - start).Nanoseconds()) / float64(n)
	}
	run(minTime / 4)
	return run(minTime), verdict
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func dur(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}
