// Rampart admin console. Plain JavaScript, no dependencies, no build step.
//
// Security model: the access token lives in the closure below and nowhere
// else (not localStorage, not sessionStorage, not a cookie), so the browser
// never attaches it on its own and no other origin can make it do so. Every
// value from the server is inserted with textContent (never innerHTML), and
// the page's CSP refuses inline script anyway.
"use strict";
(() => {
  let token = null; // the admin's access token: memory only
  let socket = null;
  let pendingRevoke = null; // subject waiting for a step-up code

  const $ = (id) => document.getElementById(id);

  function setStatus(text, cls) {
    const s = $("status");
    s.textContent = text;
    s.className = "status" + (cls ? " " + cls : "");
  }

  // row appends a <tr> of text cells to tbody; cells are strings or
  // {text, cls}.
  function row(tbody, cells) {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      const v = c !== null && typeof c === "object" ? c : { text: c };
      td.textContent = v.text === undefined || v.text === null ? "" : String(v.text);
      if (v.cls) td.className = v.cls;
      tr.appendChild(td);
    }
    tbody.appendChild(tr);
    return tr;
  }

  function clock(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toISOString().slice(11, 19);
  }

  async function gql(query, variables) {
    const headers = {
      "Content-Type": "application/json",
      "Accept": "application/graphql-response+json, application/json;q=0.9",
    };
    if (token) headers["Authorization"] = "Bearer " + token;
    const res = await fetch("/query", {
      method: "POST", headers, credentials: "omit", cache: "no-store",
      body: JSON.stringify({ query, variables }),
    });
    return res.json();
  }

  function errorCode(r) {
    return r && r.errors && r.errors.length
      ? (r.errors[0].extensions && r.errors[0].extensions.code) || r.errors[0].message
      : "";
  }

  async function signIn(ev) {
    ev.preventDefault();
    $("login-error").textContent = "";
    const otp = $("otp").value.trim();
    let r;
    try {
      r = await gql(
        "mutation AdminLogin($e: String!, $p: String!, $o: String) { login(email: $e, password: $p, otp: $o) { accessToken user { id role } } }",
        { e: $("email").value, p: $("password").value, o: otp || null });
    } catch (e) {
      $("login-error").textContent = "network error";
      return;
    }
    $("password").value = "";
    $("otp").value = "";
    const login = r && r.data && r.data.login;
    if (!login) {
      $("login-error").textContent = "sign-in refused: " + errorCode(r);
      return;
    }
    if (login.user.role !== "ADMIN") {
      $("login-error").textContent = "this account is not an administrator";
      return;
    }
    token = login.accessToken;
    $("login").hidden = true;
    $("console").hidden = false;
    $("signout").hidden = false;
    connect();
  }

  function signOut() {
    token = null;
    pendingRevoke = null;
    if (socket) socket.close(1000);
    socket = null;
    $("console").hidden = true;
    $("login").hidden = false;
    $("signout").hidden = true;
    setStatus("signed out");
  }

  function connect() {
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/admin/live";
    setStatus("connecting");
    const ws = new WebSocket(url, ["admin-live", "bearer." + token]);
    socket = ws;
    ws.onopen = () => setStatus("live", "live");
    ws.onmessage = (ev) => {
      let snap;
      try {
        snap = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      render(snap);
    };
    ws.onclose = (ev) => {
      if (socket !== ws) return;
      socket = null;
      const why = ev.code === 4401 ? "token expired: sign in again" :
        ev.code === 4403 ? "session revoked: sign in again" : "disconnected (" + ev.code + ")";
      setStatus(why, "down");
    };
  }

  function render(s) {
    const r = s.rejections || {};
    $("window-minutes").textContent = String(r.windowMinutes || "");
    const counts = $("counts").tBodies[0];
    counts.replaceChildren();
    for (const c of r.counts || []) {
      row(counts, [c.guard, { text: c.code, cls: "code" }, { text: c.lastMinute, cls: "num" }, { text: c.window, cls: "num" }]);
    }
    $("counts-empty").hidden = (r.counts || []).length > 0;
    const events = $("events").tBodies[0];
    events.replaceChildren();
    for (const e of r.latest || []) {
      row(events, [clock(e.time), e.guard, { text: e.code, cls: "code" }, { text: e.requestId, cls: "code" },
        { text: e.subject, cls: "code" }, { text: e.operation || "", cls: "code" }]);
    }

    const sessions = $("sessions").tBodies[0];
    sessions.replaceChildren();
    for (const u of s.sessions || []) {
      const protos = [...new Set((u.connections || []).map((c) => c.subprotocol || "-"))].join(", ");
      const tr = row(sessions, [{ text: u.subject, cls: "code" }, u.name, u.role,
        { text: (u.connections || []).length, cls: "num" }, clock(u.since), protos]);
      tr.dataset.subject = u.subject;
      const td = document.createElement("td");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "revoke";
      b.textContent = "Revoke";
      b.dataset.subject = u.subject;
      b.addEventListener("click", () => revoke(u.subject));
      td.appendChild(b);
      tr.appendChild(td);
    }

    const b = s.budget || {};
    $("budget-config").textContent = "Every caller: " + b.points + " cost points per " + b.periodSeconds +
      " s, restored at " + Math.round(b.restoreRate) + " points/s.";
    const budgets = $("budgets").tBodies[0];
    budgets.replaceChildren();
    for (const c of b.callers || []) {
      row(budgets, [c.class || "-", { text: c.subject, cls: "code" },
        { text: c.error ? c.error : c.available, cls: "num" }, { text: b.points, cls: "num" }]);
    }
  }

  function notice(text, bad) {
    const n = $("revoke-status");
    n.textContent = text;
    n.className = "notice" + (bad ? " bad" : "");
  }

  async function revoke(subject) {
    if (!token) return;
    notice("revoking " + subject + " …");
    let res, body;
    try {
      res = await fetch("/admin/revoke", {
        method: "POST", credentials: "omit", cache: "no-store",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + token },
        body: JSON.stringify({ subject }),
      });
      body = await res.json();
    } catch (e) {
      notice("revocation failed: network error", true);
      return;
    }
    if (res.ok) {
      notice("revoked " + body.subject + ": closed " + body.closed + " socket(s) with 4403, revoked " +
        body.revokedTokens + " token(s)");
      return;
    }
    if (body && body.code === "MFA_REQUIRED") {
      pendingRevoke = subject;
      $("stepup-form").hidden = false;
      $("stepup-code").focus();
      notice("revoking needs a fresh second factor", true);
      return;
    }
    notice("revocation refused: " + ((body && body.code) || res.status), true);
  }

  async function stepUp(ev) {
    ev.preventDefault();
    const code = $("stepup-code").value.trim();
    $("stepup-code").value = "";
    let r;
    try {
      r = await gql("mutation AdminStepUp($c: String!) { stepUp(code: $c) { accessToken } }", { c: code });
    } catch (e) {
      notice("step-up failed: network error", true);
      return;
    }
    const fresh = r && r.data && r.data.stepUp && r.data.stepUp.accessToken;
    if (!fresh) {
      notice("step-up refused: " + errorCode(r), true);
      return;
    }
    token = fresh;
    $("stepup-form").hidden = true;
    const subject = pendingRevoke;
    pendingRevoke = null;
    if (subject) revoke(subject);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", signIn);
    $("stepup-form").addEventListener("submit", stepUp);
    $("stepup-cancel").addEventListener("click", () => {
      pendingRevoke = null;
      $("stepup-form").hidden = true;
      notice("");
    });
    $("signout").addEventListener("click", signOut);
  });
})();
