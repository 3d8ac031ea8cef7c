package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/webhook"
)

func TestWebhookSignatures(t *testing.T) {
	t.Parallel()
	oldSecret, newSecret := []byte(strings.Repeat("o", 32)), []byte(strings.Repeat("n", 32))
	s := startDemo(t, map[string]string{"WEBHOOK_SECRETS": string(newSecret) + "," + string(oldSecret)})
	post := func(sig string, body []byte) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, s.base+"/webhooks/moderation", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if sig != "" {
			req.Header.Set("Stripe-Signature", sig)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	body := []byte(`{"id":"evt_1","type":"comment.flagged"}`)
	now := time.Now()
	valid := webhook.Sign(newSecret, now, body)
	if code, out := post(valid, body); code != 200 || !strings.Contains(out, "received") {
		t.Fatalf("valid signature: %d %s", code, out)
	}
	// The old secret still verifies during the rotation overlap.
	body2 := []byte(`{"id":"evt_2","type":"comment.flagged"}`)
	if code, _ := post(webhook.Sign(oldSecret, now, body2), body2); code != 200 {
		t.Fatalf("rotated (old) secret: %d", code)
	}
	refusals := map[string]struct {
		sig  string
		body []byte
	}{
		"identical_replay":        {valid, body},
		"wrong_secret":            {webhook.Sign([]byte(strings.Repeat("x", 32)), now, body), body},
		"stale_timestamp":         {webhook.Sign(newSecret, now.Add(-10*time.Minute), body), body},
		"replayed_body_new_stamp": {strings.Replace(valid, "t=", "t=1", 1), body},
		"missing_header":          {"", body},
		"truncated_signature":     {valid[:len(valid)-10], body},
	}
	for name, tc := range refusals {
		code, out := post(tc.sig, tc.body)
		if code != http.StatusUnauthorized || !strings.Contains(out, "WEBHOOK_SIGNATURE_INVALID") || strings.Contains(out, "timestamp") {
			t.Errorf("%s: %d %s, want 401 WEBHOOK_SIGNATURE_INVALID without detail", name, code, out)
		}
	}
}

func TestWebsiteRefusesPrivateURLs(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	tok, _, _ := s.register("web@example.com", "Web", "a long enough passphrase")
	const q = `mutation($u: String) { setWebsite(url: $u) { website } }`
	for _, bad := range []string{
		"http://127.0.0.1/", "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://10.0.0.1/",
		"http://user:pass@example.com/", "file:///etc/passwd", "gopher://example.com/", "http://2130706433/",
	} {
		r := s.do(tok, q, map[string]any{"u": bad})
		if r.code() != "BAD_USER_INPUT" || strings.Contains(r.Errors[0].Message, "127.0.0.1") && bad != "http://127.0.0.1/" {
			t.Errorf("%s: %q %+v, want BAD_USER_INPUT", bad, r.code(), r.Errors)
		}
	}
	// A public address needs no DNS lookup, so the test runs offline.
	r := s.do(tok, q, map[string]any{"u": "https://93.184.215.14/about"})
	if dig(r.Data, "setWebsite", "website") != "https://93.184.215.14/about" {
		t.Fatalf("public URL refused: %+v", r.Errors)
	}
}
