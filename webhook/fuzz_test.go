package webhook

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseStripe feeds arbitrary headers and bodies to the Stripe parser
// and verifier. Invariants: no panic; a parse yields t and 1 to 8
// signatures; a header that parses and verifies carries the exact t= and
// v1= items Sign produces for that body.
func FuzzParseStripe(f *testing.F) {
	body := []byte(`{"id":"evt_1"}`)
	good := Sign(secretA(), t0, body)
	for _, s := range []string{
		good, "", "t=", "v1=", "t=1", "t=" + strconv.FormatInt(t0.Unix(), 10),
		good[:len(good)-1], good[:len(good)-1] + "g", strings.ToUpper(good),
		good + ",v0=abc", good + ",", "," + good, good + ",t=1", "t=01,v1=" + strings.Repeat("a", 64),
		good + strings.Repeat(",v1="+strings.Repeat("0", 64), 8), "=,=", "t=999999999999,v1=" + strings.Repeat("f", 64),
	} {
		f.Add(s, body)
	}
	f.Add(Sign(secretA(), t0, nil), []byte(nil))
	v := must(NewVerifier(Options{Secrets: [][]byte{secretA()}, InsecureNoReplayCache: true}))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		p, err := parseStripe(header)
		if err != nil {
			return
		}
		if p.n < 1 || p.n > maxSignatures || p.t < 0 {
			t.Fatalf("parsed %d signatures, t=%d", p.n, p.t)
		}
		if _, err := v.check(context.Background(), p, body, time.Unix(p.t, 0)); err != nil {
			return
		}
		want := Sign(secretA(), time.Unix(p.t, 0), body)
		wantT, wantV1, _ := strings.Cut(want, ",")
		items := strings.Split(header, ",")
		hasT, hasV1 := false, false
		for _, it := range items {
			hasT = hasT || it == wantT
			hasV1 = hasV1 || it == wantV1
		}
		if !hasT || !hasV1 {
			t.Fatalf("header %q verified but lacks Sign's items %q", header, want)
		}
	})
}

// FuzzParseGitHub: no panic; a header that parses and verifies is exactly
// SignGitHub's output.
func FuzzParseGitHub(f *testing.F) {
	body := []byte(`{"zen":"x"}`)
	good := SignGitHub(secretA(), body)
	for _, s := range []string{good, "", "sha256=", "sha1=abc", good[:len(good)-1], strings.ToUpper(good), good + "0"} {
		f.Add(s, body)
	}
	v := must(NewVerifier(Options{Secrets: [][]byte{secretA()}, Scheme: SchemeGitHub, InsecureNoReplayCache: true}))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		p, err := parseGitHub(header)
		if err != nil {
			return
		}
		if p.n != 1 {
			t.Fatalf("parsed %d signatures", p.n)
		}
		if _, err := v.check(context.Background(), p, body, t0); err != nil {
			return
		}
		if want := SignGitHub(secretA(), body); header != want {
			t.Fatalf("header %q verified but is not SignGitHub's %q", header, want)
		}
	})
}
