package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"testing"
)

func body4K() []byte { return bytes.Repeat([]byte(`{"k":"v"},`), 4096/10+1)[:4096] }

// BenchmarkBareHMAC is the baseline: one HMAC-SHA256 over a 4 KiB payload,
// no parsing, no comparison.
func BenchmarkBareHMAC(b *testing.B) {
	body, secret := body4K(), secretA()
	var sum [sha256.Size]byte
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		m := hmac.New(sha256.New, secret)
		m.Write(body)
		m.Sum(sum[:0])
	}
}

// BenchmarkVerify: header parse, window check, HMAC, constant-time compare
// of a 4 KiB body (replay cache off, so the same delivery can repeat).
func BenchmarkVerify(b *testing.B) {
	body := body4K()
	sig := Sign(secretA(), t0, body)
	v := must(NewVerifier(Options{Secrets: [][]byte{secretA()}, Now: newClock(t0).Now, InsecureNoReplayCache: true}))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(sig, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyRotation: two secrets, the delivery signed with the second,
// so two HMACs run.
func BenchmarkVerifyRotation(b *testing.B) {
	body := body4K()
	sig := Sign(secretB(), t0, body)
	v := must(NewVerifier(Options{Secrets: [][]byte{secretA(), secretB()}, Now: newClock(t0).Now, InsecureNoReplayCache: true}))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(sig, body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMiddleware: the whole middleware on a 4 KiB delivery, body read
// and handed on (replay cache off).
func BenchmarkMiddleware(b *testing.B) {
	body := body4K()
	sig := Sign(secretA(), t0, body)
	h := must(New(Options{Secrets: [][]byte{secretA()}, Now: newClock(t0).Now, InsecureNoReplayCache: true}))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set(HeaderStripe, sig)
	w := httptest.NewRecorder()
	rd := bytes.NewReader(body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(body)
		r.Body = http.NoBody
		r.Body = readCloser{rd}
		r.ContentLength = int64(len(body))
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }
