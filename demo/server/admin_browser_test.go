package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rampart-go/rampart/internal/browsertest"
	"github.com/rampart-go/rampart/wssec"
)

// screenshotEnv names the file TestBrowserAdminConsole writes a screenshot
// of the console to (relative paths from the repository root), e.g.
// RAMPART_SCREENSHOT=docs/admin-console.png.
const screenshotEnv = "RAMPART_SCREENSHOT"

// xssPayload is the stored-XSS probe: rendered as HTML it would set
// window.__xss.
const xssPayload = `<img src=x onerror=window.__xss=1>`

// deepQuery is a depth attack: 30 levels, twice the anonymous limit.
var deepQuery = "{ " + strings.Repeat("a { ", 30) + "b" + strings.Repeat(" }", 30) + " }"

// consoleLogin opens /admin in the browser and signs in; otp may be "".
func consoleLogin(t *testing.T, ctx context.Context, s *demoServer, otp string) {
	t.Helper()
	if err := browsertest.Navigate(ctx, s.base+"/admin"); err != nil {
		t.Fatal(err)
	}
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.EmulateViewport(1280, 900),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
	}
	if otp != "" {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS("#otp"), otp))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS("#login-form button[type=submit]")))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("signing in: %v", err)
	}
	if err := browsertest.Until(ctx, `document.getElementById("status").textContent === "live" || document.getElementById("login-error").textContent !== ""`); err != nil {
		t.Fatal(err)
	}
	if e, _ := browsertest.Eval[string](ctx, `document.getElementById("login-error").textContent`); e != "" {
		t.Fatalf("console sign-in refused: %s", e)
	}
}

// TestBrowserAdminConsole drives /admin in headless Chromium: the admin
// signs in (password and TOTP), sees the depth attack the test sends
// appear with its request id, sees Bob's chat socket (held open by the
// test), revokes Bob and watches the socket go; the test's client gets
// 4403 and Bob's token is dead. The page carries the console's CSP.
func TestBrowserAdminConsole(t *testing.T) {
	t.Parallel()
	s := startDemo(t, adminEnv(nil))
	pwdOnly, adminID := s.adminLogin("")
	_, secret := s.withMFA(pwdOnly)
	bob, _, bobID := s.register("bob@example.com", "Bob", "bob's long passphrase!")
	_, bobClosed := s.dialChat(t, bob)

	res, err := http.Get(s.base + "/admin")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); csp != adminCSP || strings.Contains(csp, "unsafe") || res.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("/admin headers: CSP %q, X-Frame-Options %q", csp, res.Header.Get("X-Frame-Options"))
	}

	ctx := browsertest.Start(t)
	// confirmMFA used the current step's code; the next step's is fresh.
	consoleLogin(t, ctx, s, totpCode(t, secret, time.Now().Add(30*time.Second)))

	attack := s.do("", deepQuery, nil)
	reqID := attack.Header.Get("X-Request-Id")
	if attack.code() != "DEPTH_LIMIT_EXCEEDED" || reqID == "" {
		t.Fatalf("depth attack: %d %q, request id %q", attack.Status, attack.code(), reqID)
	}
	if err := browsertest.Until(ctx, fmt.Sprintf(`[...document.querySelectorAll("#events tbody tr")].some((tr) =>
		tr.textContent.includes(%q) && tr.textContent.includes("DEPTH_LIMIT_EXCEEDED") && tr.textContent.includes("operation limits"))
		&& [...document.querySelectorAll("#counts tbody tr")].some((tr) => tr.textContent.includes("DEPTH_LIMIT_EXCEEDED"))`, reqID)); err != nil {
		t.Fatalf("the depth attack never showed: %v", err)
	}
	bobRow := fmt.Sprintf(`#sessions tbody tr[data-subject=%q]`, bobID)
	adminRow := fmt.Sprintf(`#sessions tbody tr[data-subject=%q]`, adminID)
	if err := browsertest.Until(ctx, fmt.Sprintf(`!!document.querySelector(%q) && !!document.querySelector(%q)
		&& document.querySelectorAll("#budgets tbody tr").length >= 2`, bobRow, adminRow)); err != nil {
		t.Fatalf("Bob's socket never listed: %v", err)
	}
	if p := os.Getenv(screenshotEnv); p != "" {
		if !filepath.IsAbs(p) {
			p = filepath.Join("..", "..", p) // tests run in demo/server
		}
		if err := browsertest.Screenshot(ctx, p); err != nil {
			t.Fatal(err)
		}
	}

	select {
	case code := <-bobClosed:
		t.Fatalf("Bob's socket closed (%d) before the revocation", code)
	default:
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#sessions button[data-subject=%q]`, bobID)))); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-bobClosed:
		if code != wssec.CloseForbidden {
			t.Fatalf("Bob's socket closed with %d, want 4403", code)
		}
	case <-ctx.Done():
		t.Fatal("Bob's socket was not closed")
	}
	if err := browsertest.Until(ctx, fmt.Sprintf(`!document.querySelector(%q) && !!document.querySelector(%q)
		&& document.getElementById("revoke-status").textContent.includes("closed 1 socket(s) with 4403, revoked 1 token(s)")`, bobRow, adminRow)); err != nil {
		t.Fatalf("the console never showed Bob's socket closing: %v", err)
	}
	if r := s.do(bob, `{ me { id } }`, nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("Bob's revoked token: status %d, want 401", r.Status)
	}
}

// hostilePage is served from another loopback port. attack() tries, from
// the browser, what a malicious site would against the demo, and writes
// each outcome into <pre id="out"> (data-done="1" when all are in).
const hostilePage = `<!doctype html>
<meta charset="utf-8">
<title>not the demo</title>
<pre id="out"></pre>
<iframe name="sink" hidden></iframe>
<script>
function socket(url, protocols) {
  return new Promise((resolve) => {
    const out = { opened: false, closeCode: 0 };
    let ws;
    try { ws = new WebSocket(url, protocols); } catch (e) { out.exception = String(e); resolve(out); return; }
    ws.onopen = () => { out.opened = true; ws.close(1000); };
    ws.onclose = (ev) => { out.closeCode = ev.code; resolve(out); };
  });
}
async function post(url, credentials, query) {
  try {
    const res = await fetch(url, { method: "POST", credentials, headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ query }) });
    return { ok: true, status: res.status, body: await res.text() };
  } catch (e) {
    return { ok: false, error: String(e) };
  }
}
function register(email) {
  return 'mutation { register(input: {email: "' + email + '", name: "X", password: "a long enough passphrase"}) { user { id } } }';
}
async function attack(base, wsBase, label, chatToken, adminToken) {
  const out = {};
  out.fetchWithCredentials = await post(base + "/query", "include", register("cred-" + label + "@example.com"));
  out.fetchPlain = await post(base + "/query", "omit", register("plain-" + label + "@example.com"));
  // The classic CSRF: a form posting a text/plain body that happens to be JSON.
  const f = document.createElement("form");
  f.method = "POST";
  f.action = base + "/query";
  f.enctype = "text/plain";
  f.target = "sink";
  const i = document.createElement("input");
  i.name = '{"query":"' + register("form-" + label + "@example.com").replaceAll('"', '\\"') + '","x":"';
  i.value = '"}';
  f.appendChild(i);
  document.body.appendChild(f);
  f.submit();
  out.form = "submitted";
  out.wsQuery = await socket(wsBase + "/query", ["graphql-transport-ws"]);
  out.wsChat = await socket(wsBase + "/chat", ["chat", "bearer." + chatToken]);
  out.wsAdmin = await socket(wsBase + "/admin/live", ["admin-live", "bearer." + adminToken]);
  const pre = document.getElementById("out");
  pre.textContent = JSON.stringify(out);
  pre.dataset.done = "1";
}
</script>`

// hostileOutcome is what attack() wrote.
type hostileOutcome struct {
	FetchWithCredentials fetchOutcome `json:"fetchWithCredentials"`
	FetchPlain           fetchOutcome `json:"fetchPlain"`
	Form                 string       `json:"form"`
	WSQuery              chatOutcome  `json:"wsQuery"`
	WSChat               chatOutcome  `json:"wsChat"`
	WSAdmin              chatOutcome  `json:"wsAdmin"`
}

type fetchOutcome struct {
	OK     bool   `json:"ok"`
	Status int    `json:"status"`
	Body   string `json:"body"`
	Error  string `json:"error"`
}

// TestBrowserHostileOrigin runs the same attack page from a foreign origin
// and, as the control that shows each check can let something through,
// from the origin in ALLOWED_ORIGINS. From the foreign origin a fetch to
// /query (with or without credentials) is blocked by CORS, the form POST
// is refused by the CSRF guard, and WebSockets to /query, /chat and
// /admin/live fail their handshake (CSWSH), even with valid tokens. From
// the allowed origin the plain fetch and the /query and /chat sockets
// work, while the form POST is still refused and /admin/live stays
// same-origin only. No refused mutation took effect.
func TestBrowserHostileOrigin(t *testing.T) {
	t.Parallel()
	serve := func() *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(hostilePage))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	allowed, foreign := serve(), serve()
	logw := &syncBuffer{}
	s := startDemoLog(t, adminEnv(map[string]string{"ALLOWED_ORIGINS": allowed.URL}), filepath.Join(t.TempDir(), "demo.db"), logw)
	admin, _ := s.adminLogin("")
	bob, _, _ := s.register("bob@example.com", "Bob", "bob's long passphrase!")
	ctx := browsertest.Start(t)

	run := func(t *testing.T, page, label string) hostileOutcome {
		t.Helper()
		if err := browsertest.Navigate(ctx, page); err != nil {
			t.Fatal(err)
		}
		args, _ := json.Marshal([]string{s.base, s.wsURL(""), label, bob, admin})
		if _, err := browsertest.Eval[bool](ctx, fmt.Sprintf("attack(...%s), true", args)); err != nil {
			t.Fatal(err)
		}
		if err := browsertest.Until(ctx, `document.getElementById("out").dataset.done === "1"`); err != nil {
			t.Fatal(err)
		}
		text, err := browsertest.Eval[string](ctx, `document.getElementById("out").textContent`)
		if err != nil {
			t.Fatal(err)
		}
		var out hostileOutcome
		if err := json.Unmarshal([]byte(text), &out); err != nil {
			t.Fatalf("page wrote %q: %v", text, err)
		}
		return out
	}
	// exists reports whether an attack's registration took effect.
	exists := func(email string) bool {
		r := s.do("", `mutation($e: String!) { login(email: $e, password: "a long enough passphrase") { accessToken } }`, map[string]any{"e": email})
		return dig(r.Data, "login", "accessToken") != nil
	}
	// csrfRefusals waits until the log holds n CSRF refusals of /query.
	csrfRefusals := func(t *testing.T, n int) {
		t.Helper()
		deadline, _ := ctx.Deadline()
		for strings.Count(logw.String(), `"code":"CSRF_REJECTED"`) < n {
			if time.Now().After(deadline) {
				t.Fatalf("fewer than %d CSRF refusals in the log:\n%s", n, logw.String())
			}
			time.Sleep(20 * time.Millisecond) // polling the log for the form's refusal
		}
	}

	t.Run("foreign_origin", func(t *testing.T) {
		out := run(t, foreign.URL, "foreign")
		if out.FetchWithCredentials.OK || out.FetchPlain.OK {
			t.Errorf("cross-origin fetch got through: %+v %+v", out.FetchWithCredentials, out.FetchPlain)
		}
		for name, ws := range map[string]chatOutcome{"/query": out.WSQuery, "/chat": out.WSChat, "/admin/live": out.WSAdmin} {
			if ws.Opened || ws.CloseCode != 1006 {
				t.Errorf("WebSocket %s from a foreign origin: %+v, want a failed handshake (1006)", name, ws)
			}
		}
		csrfRefusals(t, 1)
		for _, e := range []string{"cred-foreign@example.com", "plain-foreign@example.com", "form-foreign@example.com"} {
			if exists(e) {
				t.Errorf("%s was registered by a cross-origin page", e)
			}
		}
		if n := strings.Count(logw.String(), "wssec: origin refused"); n != 3 {
			t.Errorf("%d origin refusals in the log, want 3", n)
		}
	})
	t.Run("allowed_origin_control", func(t *testing.T) {
		out := run(t, allowed.URL, "allowed")
		if !out.FetchPlain.OK || out.FetchPlain.Status != 200 || !exists("plain-allowed@example.com") {
			t.Errorf("plain fetch from the allowed origin: %+v; want it to work", out.FetchPlain)
		}
		if out.FetchWithCredentials.OK || exists("cred-allowed@example.com") {
			t.Errorf("credentialed fetch from the allowed origin: %+v; the demo grants no credentials cross-origin", out.FetchWithCredentials)
		}
		if !out.WSQuery.Opened || !out.WSChat.Opened {
			t.Errorf("sockets from the allowed origin: /query %+v /chat %+v; want both open", out.WSQuery, out.WSChat)
		}
		if out.WSAdmin.Opened || out.WSAdmin.CloseCode != 1006 {
			t.Errorf("/admin/live from the API's allowed origin: %+v; want it refused (same origin only)", out.WSAdmin)
		}
		csrfRefusals(t, 2)
		if exists("form-allowed@example.com") {
			t.Error("the form POST registered an account")
		}
	})
}

// TestBrowserAdminConsoleNoXSS: attacker-chosen text reaches the console —
// an operation name carrying markup in an audit event, a display name —
// and shows literally: no element is created from it and no script runs.
// A post whose title and body carry the same payload is neutralised when
// it is written (@sanitize) and never reaches the console as markup.
func TestBrowserAdminConsoleNoXSS(t *testing.T) {
	t.Parallel()
	s := startDemo(t, adminEnv(nil))
	bob, _, bobID := s.register("bob@example.com", "Bob "+xssPayload, "bob's long passphrase!")
	post := s.createPost(bob, "XSS "+xssPayload, xssPayload+" body")
	if r := s.do("", `query($id: ID!) { post(id: $id) { title body } }`, map[string]any{"id": post}); strings.Contains(mustJSON(r.Data), "onerror") {
		t.Fatalf("stored post kept the payload: %s", mustJSON(r.Data))
	}
	s.dialChat(t, bob)

	// A rejected request whose operationName (which the audit record keeps
	// as sent) is the payload: the document is over the 128 KiB limit.
	body, _ := json.Marshal(map[string]any{"query": "{ me { id } }\n#" + strings.Repeat("x", 130<<10), "operationName": xssPayload})
	req, _ := http.NewRequest(http.MethodPost, s.base+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(raw), "DOCUMENT_TOO_LARGE") {
		t.Fatalf("oversized document: %d %.200s, want 400 DOCUMENT_TOO_LARGE", res.StatusCode, raw)
	}

	ctx := browsertest.Start(t)
	consoleLogin(t, ctx, s, "")
	payload, _ := json.Marshal(xssPayload)
	// Wait until the payload shows as text, or stop at once if it ran.
	if err := browsertest.Until(ctx, fmt.Sprintf(`([...document.querySelectorAll("#events tbody td")].some((td) => td.textContent === %s)
		&& !!document.querySelector(%q)) || window.__xss !== undefined || !!document.querySelector("img")`,
		payload, fmt.Sprintf(`#sessions tbody tr[data-subject=%q]`, bobID))); err != nil {
		t.Fatalf("the payload never showed as text: %v", err)
	}
	type verdict struct {
		XSS    string `json:"xss"`
		Images int    `json:"images"`
		Name   string `json:"name"`
	}
	v, err := browsertest.Eval[verdict](ctx, fmt.Sprintf(`({ xss: typeof window.__xss, images: document.querySelectorAll("img").length,
		name: document.querySelector(%q).children[1].textContent })`, fmt.Sprintf(`#sessions tbody tr[data-subject=%q]`, bobID)))
	if err != nil {
		t.Fatal(err)
	}
	if v.XSS != "undefined" || v.Images != 0 {
		t.Fatalf("script ran or markup rendered: window.__xss is %s, %d <img> elements", v.XSS, v.Images)
	}
	if !strings.HasPrefix(v.Name, "Bob") {
		t.Fatalf("Bob's name shows as %q", v.Name)
	}
}
