package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket/wsjson"

	"github.com/rampart-go/rampart/gqlsec"
)

// TestLoadPolicy reads the example config file (so that it cannot drift)
// and refuses every kind of bad file with an error naming the file and
// the problem.
func TestLoadPolicy(t *testing.T) {
	t.Parallel()
	p, err := loadPolicy(&config{ConfigFile: "config.example.json", Env: envDevelopment})
	if err != nil {
		t.Fatalf("config.example.json: %v", err)
	}
	if p.limits.Depth != 15 || p.adminLimits.Depth != 25 || p.adminLimits.Fields != 5000 || p.maxCost != 5000 ||
		p.budget != costBudgetRate() || p.docs == nil || p.manifest != "trusted-documents.json" ||
		p.bodyBytes != 1<<20 || p.rates != defaultPolicy().rates {
		t.Fatalf("config.example.json read as %+v", p)
	}
	if d, err := loadPolicy(&config{Env: envDevelopment}); err != nil || d.docs != nil || d.adminLimits.Depth != 25 || d.budget != costBudgetRate() {
		t.Fatalf("no config file: %+v, %v; want the defaults", d, err)
	}

	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("bad-manifest.json", `{"0000000000000000000000000000000000000000000000000000000000000000": "{ me { id } }"}`)
	const doc = "{ posts { nodes { id } } }"
	write("good-manifest.json", mustJSON(map[string]string{gqlsec.Hash(doc): doc}))
	tests := []struct {
		name, file string
		want       string // in the error; "" = accepted
	}{
		{"unparseable", `{"limits": {"depth": 5}`, "unexpected EOF"},
		{"syntax error", "{\n\"limits\": {\"depth\": 5,}}", "line 2: invalid character"},
		{"unknown key", `{"limits": {"dpeth": 5}}`, `unknown field "dpeth"`},
		{"unknown section", `{"limit": {}}`, `unknown field "limit"`},
		{"wrong type", `{"limits": {"depth": "5"}}`, "limits.depth: want int, not a JSON string"},
		{"zero limit", `{"limits": {"depth": 0}}`, "limits.depth: must be a positive number, or -1 for no limit, not 0"},
		{"negative admin limit", `{"adminLimits": {"fields": -3}}`, "adminLimits.fields: must be a positive number"},
		{"negative cost", `{"cost": {"max": -2}}`, "cost.max: must be a positive number"},
		{"budget points", `{"cost": {"budget": {"points": 0, "per": "1m"}}}`, "cost.budget.points"},
		{"budget period", `{"cost": {"budget": {"points": 10, "per": "soon"}}}`, `cost.budget.per: must be a duration`},
		{"two objects", `{} {}`, "data after the JSON object"},
		{"missing manifest", `{"trustedDocuments": "nope.json"}`, "trusted documents: open " + filepath.Join(dir, "nope.json")},
		{"bad manifest", `{"trustedDocuments": "bad-manifest.json"}`, "invalid trusted-documents manifest"},
		{"empty manifest path", `{"trustedDocuments": ""}`, `use "off"`},
		{"relative manifest", `{"trustedDocuments": "good-manifest.json"}`, ""},
		{"manifest off", `{"trustedDocuments": "off"}`, ""},
		{"unlimited", `{"limits": {"depth": -1}, "cost": {"max": -1}}`, ""},
	}
	for _, tt := range tests {
		path := write("config.json", tt.file)
		_, err := loadPolicy(&config{ConfigFile: path, Env: envDevelopment})
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: err = %v, want one containing %q", tt.name, err, tt.want)
		case tt.want != "" && !strings.Contains(err.Error(), "config "+path) && !strings.Contains(err.Error(), "trusted documents"):
			t.Errorf("%s: err = %v does not name the file", tt.name, err)
		}
	}
	if _, err := loadPolicy(&config{ConfigFile: filepath.Join(dir, "absent.json")}); err == nil || !strings.Contains(err.Error(), "absent.json") {
		t.Errorf("missing config file: err = %v", err)
	}
}

// startReloadable starts the demo with a config file holding content and
// returns it, a function that rewrites the file, one that reloads it as
// SIGHUP does and returns the result, the channel that receives the post
// id of each live subscription, and the channel of reload results (for
// reloads the test does not start itself). ticks, when set, drives the
// file watch.
func startReloadable(t *testing.T, content string, logs io.Writer, ticks <-chan time.Time) (s *demoServer, writeCfg func(string), reload func() error, subscribed <-chan string, reloaded <-chan error) {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "rampart.json")
	writeCfg = func(content string) {
		t.Helper()
		if err := os.WriteFile(cfgPath, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeCfg(content)
	env := map[string]string{"JWT_SECRET": strings.Repeat("s", 40), "RAMPART_CONFIG": cfgPath}
	cfg, err := parseConfig([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "demo.db")},
		func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	hup, results, subs := make(chan os.Signal), make(chan error), make(chan string, 4)
	cfg.reloadOn, cfg.watchTicks = hup, ticks
	cfg.reloaded = func(err error) { results <- err }
	cfg.subscribed = func(post string) { subs <- post }
	reload = func() error {
		t.Helper()
		hup <- syscall.SIGHUP
		return <-results
	}
	s = serveConfig(t, cfg, logs)
	return s, writeCfg, reload, subs, results
}

// TestConfigWatch: with -config-watch, a change of the config file's
// content reloads it at the next check; a check that finds no change
// reloads nothing. The test drives the checks itself.
func TestConfigWatch(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	ticks := make(chan time.Time)
	s, writeCfg, _, _, reloaded := startReloadable(t, `{"limits": {"depth": 7}}`, &logs, ticks)
	if r := s.do("", depth7, nil); len(r.Errors) > 0 {
		t.Fatalf("depth 7 refused under limit 7: %+v", r.Errors)
	}
	ticks <- time.Time{} // no change: no reload
	ticks <- time.Time{}
	writeCfg(`{"limits": {"depth": 6}}`)
	ticks <- time.Time{}
	if err := <-reloaded; err != nil {
		t.Fatalf("reload: %v", err)
	}
	if r := s.do("", depth7, nil); r.code() != gqlsec.CodeDepthLimit {
		t.Fatalf("depth 7 under limit 6: %+v, want DEPTH_LIMIT_EXCEEDED", r.Errors)
	}
	if !strings.Contains(logs.String(), `"changes":"limits.depth 7 → 6"`) {
		t.Fatalf("the first reload was not the change:\n%s", logs.String())
	}
}

// depth7 is a query of depth 7 (posts 1, nodes 2, author 3, … name 7).
const depth7 = `{ posts(first: 1) { nodes { author { posts(first: 1) { nodes { author { name } } } } } } }`

// TestReloadKeepsSubscriptionsOpen: a commentAdded subscription stays open
// across reloads and keeps receiving events; each reload applies to the
// next operation on HTTP and on the open WebSocket (a lowered depth limit
// refuses a query that passed, a raised one lets it pass again); a bad
// config file is refused with one log line and the old limit stays. The
// reloads are driven through the server's reload channel, as SIGHUP
// drives them, and the test waits for each one's result.
func TestReloadKeepsSubscriptionsOpen(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	s, writeCfg, reload, subscribed, _ := startReloadable(t, `{"limits": {"depth": 7}}`, &logs, nil)
	alice, _, _ := s.register("alice@example.com", "Alice", "alice's long passphrase")
	post := s.createPost(alice, "t", "b")

	wsCtx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // a bound on failure, not a wait
	defer cancel()
	c, err := s.dialGQL(wsCtx, alice)
	if err != nil {
		t.Fatalf("graphql-transport-ws: %v", err)
	}
	defer c.CloseNow()
	type message struct {
		ID      string          `json:"id"`
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	msgs := make(chan message, 16)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(msgs)
		for {
			var m message
			if err := wsjson.Read(wsCtx, c, &m); err != nil {
				return
			}
			msgs <- m
		}
	}()
	defer func() { c.CloseNow(); <-readerDone }()
	next := func(id string) message {
		t.Helper()
		for m := range msgs {
			if m.ID == id {
				return m
			}
		}
		t.Fatalf("WebSocket closed while waiting for a message for %q", id)
		return message{}
	}
	send := func(id, query string, vars map[string]any) {
		t.Helper()
		if err := wsjson.Write(wsCtx, c, map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}}); err != nil {
			t.Fatalf("subscribe %s: %v", id, err)
		}
	}
	// wsQuery runs a query over the open WebSocket and returns its
	// extensions.code ("" when it ran) and extensions.limit.
	wsQuery := func(id string) (string, any) {
		t.Helper()
		send(id, depth7, nil)
		m := next(id)
		var errs []struct{ Extensions map[string]any }
		switch m.Type {
		case "error":
			_ = json.Unmarshal(m.Payload, &errs)
		case "next":
			var r struct {
				Errors []struct{ Extensions map[string]any }
			}
			_ = json.Unmarshal(m.Payload, &r)
			errs = r.Errors
			if done := next(id); done.Type != "complete" {
				t.Fatalf("%s: %s after next, want complete", id, done.Type)
			}
		default:
			t.Fatalf("%s: message %s %s", id, m.Type, m.Payload)
		}
		if len(errs) == 0 {
			return "", nil
		}
		code, _ := errs[0].Extensions["code"].(string)
		return code, errs[0].Extensions["limit"]
	}
	comment := func(n int) {
		t.Helper()
		body := "comment " + strconv.Itoa(n)
		if r := s.do(alice, `mutation($p: ID!, $b: String!) { addComment(postId: $p, body: $b) { id } }`, map[string]any{"p": post, "b": body}); len(r.Errors) > 0 {
			t.Fatalf("addComment: %+v", r.Errors)
		}
		m := next("sub")
		if m.Type != "next" || !strings.Contains(string(m.Payload), body) {
			t.Fatalf("subscription: %s %s, want the event of %q", m.Type, m.Payload, body)
		}
	}
	httpCode := func() (string, any) {
		t.Helper()
		r := s.do(alice, depth7, nil)
		if len(r.Errors) == 0 {
			return "", nil
		}
		return r.code(), r.Errors[0].Extensions["limit"]
	}
	queries := 0
	check := func(when, wantCode string, wantLimit any) {
		t.Helper()
		queries++
		if code, limit := httpCode(); code != wantCode || limit != wantLimit {
			t.Fatalf("%s: HTTP query: code %q limit %v, want %q %v", when, code, limit, wantCode, wantLimit)
		}
		if code, limit := wsQuery("q" + strconv.Itoa(queries)); code != wantCode || limit != wantLimit {
			t.Fatalf("%s: WebSocket query: code %q limit %v, want %q %v", when, code, limit, wantCode, wantLimit)
		}
	}

	send("sub", `subscription($p: ID!) { commentAdded(postId: $p) { body author { name } } }`, map[string]any{"p": post})
	if got := <-subscribed; got != post {
		t.Fatalf("subscribed to %q, want %q", got, post)
	}
	comment(1)
	check("before reload", "", nil)

	// Lowered: the query that passed is refused, the subscription lives on.
	writeCfg(`{"limits": {"depth": 6}}`)
	if err := reload(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if !strings.Contains(logs.String(), `"changes":"limits.depth 7 → 6"`) {
		t.Fatalf("the reload did not log what changed:\n%s", logs.String())
	}
	comment(2)
	check("after lowering", gqlsec.CodeDepthLimit, float64(6))

	// A bad file is refused with one clear line; the limit stays 6.
	for _, bad := range []struct{ file, problem string }{
		{`{"limits": {"depth": 0}}`, "limits.depth: must be a positive number, or -1 for no limit, not 0"},
		{`{"limits": {"depth": 9}, "extra": 1}`, `unknown field \"extra\"`},
		{`{"limits": {"depth": 9}`, "unexpected EOF"},
		{`{"trustedDocuments": "missing.json"}`, "missing.json: no such file"},
	} {
		before := strings.Count(logs.String(), "configuration reload refused")
		writeCfg(bad.file)
		if err := reload(); err == nil {
			t.Fatalf("reload of %s succeeded", bad.file)
		}
		if n := strings.Count(logs.String(), "configuration reload refused"); n != before+1 {
			t.Fatalf("%s: %d refusal lines, want one", bad.file, n-before)
		}
		if !strings.Contains(logs.String(), bad.problem) {
			t.Fatalf("the refusal does not name the problem %q:\n%s", bad.problem, logs.String())
		}
		check("after a refused reload", gqlsec.CodeDepthLimit, float64(6))
	}
	comment(3)

	// Raised again: the query passes on HTTP and on the same WebSocket.
	writeCfg(`{"limits": {"depth": 7}}`)
	if err := reload(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	check("after raising", "", nil)
	comment(4)
	if n := strings.Count(logs.String(), `"msg":"configuration reloaded"`); n != 2 {
		t.Fatalf("%d success lines, want 2", n)
	}
}

// TestReloadHTTPLimits: the config file's http section sets the GraphQL
// endpoint's body limit and rate limits by caller, and a reload swaps them
// while the server runs (the limiter keeps its buckets); a bad value is
// refused and the limits in force stay.
func TestReloadHTTPLimits(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	s, writeCfg, reload, _, _ := startReloadable(t,
		`{"http": {"bodyBytes": 300, "rateLimits": {"anonymous": {"requests": 50, "per": "1m"}}}}`, logs, nil)
	big := "{ __typename } #" + strings.Repeat("x", 400)
	check := func(when string, wantBig int, wantLimit string) {
		t.Helper()
		if r := s.do("", big, nil); r.Status != wantBig {
			t.Fatalf("%s: a 400-byte query: %d %q, want %d", when, r.Status, r.code(), wantBig)
		}
		r := s.do("", "{ __typename }", nil)
		if r.Status != http.StatusOK || r.Header.Get("RateLimit-Limit") != wantLimit {
			t.Fatalf("%s: anonymous query: %d, RateLimit-Limit %q, want 200 and %s", when, r.Status, r.Header.Get("RateLimit-Limit"), wantLimit)
		}
	}
	check("at start", http.StatusRequestEntityTooLarge, "50")

	writeCfg(`{"http": {"rateLimits": {"anonymous": {"requests": 70, "per": "1m"}}}}`)
	if err := reload(); err != nil {
		t.Fatalf("reload: %v", err)
	}
	if !strings.Contains(logs.String(), "http.bodyBytes 300 → 1048576; http.rateLimits.anonymous 50/1m0s → 70/1m0s") {
		t.Fatalf("the reload did not log what changed:\n%s", logs.String())
	}
	check("after the reload", http.StatusOK, "70")

	for _, bad := range []struct{ file, problem string }{
		{`{"http": {"bodyBytes": 0}}`, "http.bodyBytes: must be from 1 to"},
		{`{"http": {"rateLimits": {"admin": {"requests": 10, "per": "never"}}}}`, "http.rateLimits.admin.per: must be a duration"},
		{`{"http": {"rateLimits": {"anonymous": {"requests": 0, "per": "1m"}}}}`, "http.rateLimits.anonymous.requests: must be a positive number"},
	} {
		writeCfg(bad.file)
		if err := reload(); err == nil || !strings.Contains(err.Error(), bad.problem) {
			t.Fatalf("reload of %s: %v, want an error naming %q", bad.file, err, bad.problem)
		}
		check("after a refused reload", http.StatusOK, "70")
	}
}
