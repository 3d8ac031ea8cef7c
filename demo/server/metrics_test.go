package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/gqlsec"
	"github.com/rampart-go/rampart/httpsec"
)

// metricsURL finds the /metrics address in the server's log.
func metricsURL(t *testing.T, log string) string {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "metrics listening" {
			return rec["addr"].(string)
		}
	}
	t.Fatalf("no 'metrics listening' line in the log:\n%s", log)
	return ""
}

// scrape returns the Prometheus text of url.
func scrape(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", res.StatusCode, b)
	}
	return string(b)
}

// sample returns the value of the first sample of name whose labels
// include every label of want (0 when there is none).
func sample(text, name string, want map[string]string) float64 {
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `\{([^}]*)\} (\S+)$`)
	var total float64
	for _, line := range strings.Split(text, "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ok := true
		for k, v := range want {
			if !strings.Contains(m[1], k+`="`+v+`"`) {
				ok = false
			}
		}
		if ok {
			f, _ := strconv.ParseFloat(m[2], 64)
			total += f
		}
	}
	return total
}

// TestMetricsEndpointCountsEveryAttack sends one attack of each kind to the
// demo with -metrics-addr set, then scrapes /metrics: every rejection code
// sent has a non-zero counter, and a benign query is measured but counted
// as no rejection.
func TestMetricsEndpointCountsEveryAttack(t *testing.T) {
	t.Parallel()
	log := &syncBuffer{}
	s := startDemoLog(t, map[string]string{"METRICS_ADDR": "127.0.0.1:0"}, filepath.Join(t.TempDir(), "demo.db"), log)
	url := metricsURL(t, log.String())
	if n := sample(scrape(t, url), "rampart_rejections_total", nil); n != 0 {
		t.Fatalf("%v rejections before any attack", n)
	}

	// Benign: passes, costs, is refunded.
	if r := s.do("", "{ posts(first: 5) { nodes { id title } } }", nil); r.Status != http.StatusOK || r.code() != "" {
		t.Fatalf("benign query: %d %+v", r.Status, r.Errors)
	}
	sent := map[string]string{} // code -> guard
	expect := func(r *gqlResponse, code, guard string) {
		t.Helper()
		if r.code() != code {
			t.Fatalf("attack answered %d %+v, want %s", r.Status, r.Errors, code)
		}
		sent[code] = guard
	}
	deep := "id"
	for range 6 {
		deep = "posts(first: 1) { nodes { author { " + deep + " } } }"
	}
	expect(s.do("", "{ "+deep+" }", nil), gqlsec.CodeDepthLimit, "gqlsec.limits")
	var aliases strings.Builder
	for i := range 40 {
		aliases.WriteString("a" + strconv.Itoa(i) + ": id ")
	}
	expect(s.do("", "{ posts(first: 1) { nodes { "+aliases.String()+"} } }", nil), gqlsec.CodeAliasLimit, "gqlsec.limits")
	expect(s.do("", "{ posts(first: 50) { nodes { author { posts(first: 50) { nodes { author { posts(first: 50) { nodes { id } } } } } } } } }", nil), gqlsec.CodeCostLimit, "gqlsec.cost")
	expect(s.do("", "{ __schema { types { name } } }", nil), gqlsec.CodeIntrospection, "gqlsec.introspection")

	// CSRF: a simple (text/plain) POST with no preflight header.
	res, err := http.Post(s.base+"/query", "text/plain", strings.NewReader(`{"query":"{ posts { nodes { id } } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("CSRF: %d", res.StatusCode)
	}
	sent[httpsec.CodeCSRFRejected] = "httpsec.csrf"
	// Body limit: a declared length over 1 MiB, refused before reading.
	res, err = http.Post(s.base+"/query", "application/json", bytes.NewReader(make([]byte, httpsec.DefaultBodyLimit+1)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("body limit: %d", res.StatusCode)
	}
	sent[rampart.CodeRequestTooLarge] = "httpsec.body_limit"
	// Rate limit: anonymous callers get 120 requests a minute.
	for i := 0; ; i++ {
		if i > 200 {
			t.Fatal("no 429 after 200 requests")
		}
		req, _ := http.NewRequest(http.MethodGet, s.base+"/query?query=%7B__typename%7D", nil)
		req.Header.Set("Apollo-Require-Preflight", "true")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusTooManyRequests {
			break
		}
	}
	sent[rampart.CodeRateLimited] = "httpsec.rate_limit"

	text := scrape(t, url)
	for code, guard := range sent {
		if n := sample(text, "rampart_rejections_total", map[string]string{"rampart_code": code, "rampart_guard": guard, "rampart_outcome": "rejected"}); n < 1 {
			t.Errorf("rampart_rejections_total{rampart_code=%q, rampart_guard=%q} = %v, want > 0", code, guard, n)
		}
	}
	if n := sample(text, "rampart_rejections_total", map[string]string{"rampart_outcome": "measured"}); n != 0 {
		t.Errorf("%v measured rejections, want 0 (every guard enforces)", n)
	}
	if n := sample(text, "rampart_ratelimit_decisions_total", map[string]string{"rampart_decision": "allowed", "rampart_backend": "memory"}); n < 100 {
		t.Errorf("allowed rate-limit decisions = %v, want > 100", n)
	}
	if n := sample(text, "rampart_operation_cost_count", map[string]string{"rampart_cost_kind": "actual"}); n < 1 {
		t.Errorf("no actual cost recorded:\n%s", text)
	}
	if t.Failed() {
		t.Logf("scrape:\n%s", text)
	}
}
