package webhook

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/golden"
)

const wantInvalid = `{"errors":[{"message":"invalid webhook signature","extensions":{"code":"WEBHOOK_SIGNATURE_INVALID"}}]}` + "\n"

func TestStripeAttacks(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"evt_1","type":"payment_intent.succeeded","data":{"amount":4200}}`)
	good := Sign(secretA(), t0, body)
	goodSig := good[strings.Index(good, "v1=")+3:]
	tests := []struct {
		name   string
		sig    func() string
		body   []byte
		status int
		reason error
	}{
		{"valid_signature_passes", func() string { return good }, body, 200, nil},
		{"wrong_secret", func() string { return Sign([]byte("whsec_attacker_guess_0000000000"), t0, body) }, body, 401, ErrSignatureMismatch},
		{"tampered_body", func() string { return good }, []byte(`{"id":"evt_1","type":"payment_intent.succeeded","data":{"amount":9999}}`), 401, ErrSignatureMismatch},
		{"replayed_body_with_new_timestamp", func() string { return "t=" + itoa(t0.Unix()+60) + ",v1=" + goodSig }, body, 401, ErrSignatureMismatch},
		{"stale_timestamp_past_tolerance", func() string { return Sign(secretA(), t0.Add(-DefaultTolerance-time.Second), body) }, body, 401, ErrTimestampOutOfRange},
		{"stale_timestamp_at_tolerance_passes", func() string { return Sign(secretA(), t0.Add(-DefaultTolerance), body) }, body, 200, nil},
		{"future_timestamp_past_tolerance", func() string { return Sign(secretA(), t0.Add(DefaultTolerance+time.Second), body) }, body, 401, ErrTimestampOutOfRange},
		{"future_timestamp_at_tolerance_passes", func() string { return Sign(secretA(), t0.Add(DefaultTolerance), body) }, body, 200, nil},
		{"missing_header", func() string { return "" }, body, 401, ErrNoSignature},
		{"truncated_signature", func() string { return good[:len(good)-1] }, body, 401, ErrMalformedSignature},
		{"non_hex_signature", func() string { return good[:len(good)-1] + "g" }, body, 401, ErrMalformedSignature},
		{"uppercase_hex_signature", func() string { return "t=" + itoa(t0.Unix()) + ",v1=" + strings.ToUpper(goodSig) }, body, 401, ErrMalformedSignature},
		{"only_timestamp", func() string { return "t=" + itoa(t0.Unix()) }, body, 401, ErrMalformedSignature},
		{"only_v1", func() string { return "v1=" + goodSig }, body, 401, ErrMalformedSignature},
		{"only_v0_test_mode_signature", func() string { return "t=" + itoa(t0.Unix()) + ",v0=" + goodSig }, body, 401, ErrMalformedSignature},
		{"duplicate_timestamp", func() string { return good + ",t=" + itoa(t0.Unix()) }, body, 401, ErrMalformedSignature},
		{"timestamp_leading_zero", func() string { return "t=0" + good[2:] }, body, 401, ErrMalformedSignature},
		{"timestamp_signed", func() string { return "t=+" + good[2:] }, body, 401, ErrMalformedSignature},
		{"empty_item", func() string { return good + "," }, body, 401, ErrMalformedSignature},
		{"eight_v1_entries_at_limit_passes", func() string { return good + strings.Repeat(",v1="+strings.Repeat("0", 64), 7) }, body, 200, nil},
		{"nine_v1_entries_past_limit", func() string { return good + strings.Repeat(",v1="+strings.Repeat("0", 64), 8) }, body, 401, ErrMalformedSignature},
		{"header_over_2KiB", func() string { return good + ",x=" + strings.Repeat("a", 2048) }, body, 401, ErrMalformedSignature},
		{"unknown_keys_ignored_passes", func() string { return good + ",v0=abc,scheme=future" }, body, 200, nil},
		{"second_valid_entry_after_junk_passes", func() string {
			return "t=" + itoa(t0.Unix()) + ",v1=" + strings.Repeat("f", 64) + ",v1=" + goodSig
		}, body, 200, nil},
		{"empty_body_signed_passes", func() string { return Sign(secretA(), t0, nil) }, []byte{}, 200, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs logBuf
			next := &echo{}
			v := must(NewVerifier(Options{Secrets: [][]byte{secretA()}, Now: newClock(t0).Now, Logger: logs.logger()}))
			w := deliver(v.Middleware(next), HeaderStripe, tt.sig(), tt.body)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d; log: %s", w.Code, tt.status, logs.String())
			}
			if tt.status == 200 {
				if !bytes.Equal(w.Body.Bytes(), tt.body) {
					t.Errorf("handler read %q, want the signed body %q", w.Body.Bytes(), tt.body)
				}
				if got := next.Calls(); got != 1 {
					t.Errorf("handler called %d times", got)
				}
				return
			}
			if next.Calls() != 0 {
				t.Error("handler called on a refused delivery")
			}
			if got := w.Body.String(); got != wantInvalid {
				t.Errorf("body %q, want the generic %q", got, wantInvalid)
			}
			// The reason is in the log, never in the response.
			if tt.reason != nil && !strings.Contains(logs.String(), tt.reason.Error()) {
				t.Errorf("log lacks %q: %s", tt.reason, logs.String())
			}
			// Verify agrees with the middleware.
			v2 := must(NewVerifier(Options{Secrets: [][]byte{secretA()}, Now: newClock(t0).Now}))
			if err := v2.Verify(tt.sig(), tt.body); !errors.Is(err, tt.reason) {
				t.Errorf("Verify: %v, want %v", err, tt.reason)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestIdenticalReplayInsideWindowRefused(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	next := &echo{}
	v := must(NewVerifier(Options{Secrets: [][]byte{secretA()}, Now: clk.Now}))
	h := v.Middleware(next)
	body := []byte(`{"id":"evt_replay"}`)
	sig := Sign(secretA(), t0, body)
	if w := deliver(h, HeaderStripe, sig, body); w.Code != 200 {
		t.Fatalf("first delivery: %d", w.Code)
	}
	clk.Set(t0.Add(2 * time.Minute))
	w := deliver(h, HeaderStripe, sig, body)
	if w.Code != 401 || w.Body.String() != wantInvalid {
		t.Fatalf("identical replay inside the window: %d %s", w.Code, w.Body)
	}
	if err := v.Verify(sig, body); !errors.Is(err, ErrReplayed) {
		t.Errorf("Verify: %v, want ErrReplayed", err)
	}
	// Dropping or reordering entries does not make the replay look new.
	sigB := Sign(secretB(), t0, body)
	both := must(NewVerifier(Options{Secrets: [][]byte{secretA(), secretB()}, Now: clk.Now}))
	if err := both.Verify(sig+","+sigB[strings.Index(sigB, "v1="):], body); err != nil {
		t.Fatalf("dual-signed delivery: %v", err)
	}
	if err := both.Verify(sigB, body); !errors.Is(err, ErrReplayed) {
		t.Errorf("replay carrying only the second secret's entry: %v, want ErrReplayed", err)
	}
	// A new delivery of the same event (a sender retry) is signed with a
	// new timestamp and passes.
	if w := deliver(h, HeaderStripe, Sign(secretA(), clk.Now(), body), body); w.Code != 200 {
		t.Errorf("sender retry with a fresh timestamp: %d", w.Code)
	}
	if next.Calls() != 2 {
		t.Errorf("handler called %d times, want 2", next.Calls())
	}
}

func TestReplayCacheForgetsAfterWindow(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	v := must(NewVerifier(Options{Secrets: [][]byte{secretA()}, Now: clk.Now, MaxReplayEntries: 1}))
	a, b := []byte("a"), []byte("b")
	if err := v.Verify(Sign(secretA(), t0, a), a); err != nil {
		t.Fatal(err)
	}
	// Full of one live entry: fail closed.
	if err := v.Verify(Sign(secretA(), t0, b), b); !errors.Is(err, ErrReplayCacheFull) {
		t.Fatalf("second delivery with a full cache: %v", err)
	}
	// Once a's timestamp has left the window, its slot is free and b (signed
	// now) passes.
	clk.Set(t0.Add(DefaultTolerance + time.Second))
	if err := v.Verify(Sign(secretA(), clk.Now(), b), b); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestReplayCacheFullIs503(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	v := must(NewVerifier(Options{Secrets: [][]byte{secretA()}, Now: clk.Now, MaxReplayEntries: 1}))
	h := v.Middleware(&echo{})
	if w := deliver(h, HeaderStripe, Sign(secretA(), t0, []byte("1")), []byte("1")); w.Code != 200 {
		t.Fatal(w.Code)
	}
	clk.Set(t0.Add(time.Minute))
	w := deliver(h, HeaderStripe, Sign(secretA(), clk.Now(), []byte("2")), []byte("2"))
	golden.Check(t, "replay_cache_full", []byte(dump(w)))
}

func TestInsecureNoReplayCacheAllowsReplay(t *testing.T) {
	t.Parallel()
	v := must(NewVerifier(Options{Secrets: [][]byte{secretA()}, Now: newClock(t0).Now, InsecureNoReplayCache: true}))
	sig := Sign(secretA(), t0, []byte("x"))
	for i := range 2 {
		if err := v.Verify(sig, []byte("x")); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
}

func TestSecretRotation(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"evt_rot"}`)
	clk := newClock(t0)
	tests := []struct {
		name    string
		secrets [][]byte
		sig     string
		ok      bool
	}{
		{"old_secret_during_overlap", [][]byte{secretB(), secretA()}, Sign(secretA(), t0, body), true},
		{"new_secret_during_overlap", [][]byte{secretB(), secretA()}, Sign(secretB(), t0, body), true},
		{"sender_signing_with_both", [][]byte{secretB(), secretA()}, Sign(secretA(), t0, body) + "," + strings.Split(Sign(secretB(), t0, body), ",")[1], true},
		{"old_secret_after_rotation", [][]byte{secretB()}, Sign(secretA(), t0, body), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := must(New(Options{Secrets: tt.secrets, Now: clk.Now}))(&echo{})
			w := deliver(h, HeaderStripe, tt.sig, body)
			if (w.Code == 200) != tt.ok {
				t.Fatalf("status %d, want ok=%v", w.Code, tt.ok)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	const limit = 1024
	for _, tt := range []struct {
		name    string
		size    int
		chunked bool
		status  int
	}{
		{"body_at_limit_passes", limit, false, 200},
		{"body_past_limit", limit + 1, false, 413},
		{"chunked_body_at_limit_passes", limit, true, 200},
		{"chunked_body_past_limit", limit + 1, true, 413},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := bytes.Repeat([]byte("a"), tt.size)
			h := must(New(Options{Secrets: [][]byte{secretA()}, Now: newClock(t0).Now, MaxBytes: limit}))(&echo{})
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			if tt.chunked {
				r.ContentLength = -1
			}
			r.Header.Set(HeaderStripe, Sign(secretA(), t0, body))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if tt.status == 200 {
				if w.Body.Len() != tt.size || w.Header().Get("X-Content-Length") != "" && w.Header().Get("X-Content-Length") != strconv.Itoa(tt.size) {
					t.Errorf("handler read %d bytes", w.Body.Len())
				}
				return
			}
			if !strings.Contains(w.Body.String(), rampart.CodeRequestTooLarge) {
				t.Errorf("body %s", w.Body)
			}
		})
	}
	h := must(New(Options{Secrets: [][]byte{secretA()}, Now: newClock(t0).Now}))(&echo{})
	big := bytes.Repeat([]byte("a"), int(DefaultMaxBytes)+1)
	golden.Check(t, "body_too_large", []byte(dump(deliver(h, HeaderStripe, Sign(secretA(), t0, big), big))))
}

func TestUnsignedBodyIsNotRead(t *testing.T) {
	t.Parallel()
	h := must(New(Options{Secrets: [][]byte{secretA()}, Now: newClock(t0).Now}))(&echo{})
	r := httptest.NewRequest(http.MethodPost, "/", &failReader{t: t})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 401 {
		t.Fatalf("status %d", w.Code)
	}
	golden.Check(t, "signature_invalid", []byte(dump(w)))
}

type failReader struct{ t *testing.T }

func (f *failReader) Read([]byte) (int, error) {
	f.t.Error("body read before the signature header was checked")
	return 0, errors.New("read")
}

func TestUnreadableBodyIs400(t *testing.T) {
	t.Parallel()
	h := must(New(Options{Secrets: [][]byte{secretA()}, Now: newClock(t0).Now}))(&echo{})
	r := httptest.NewRequest(http.MethodPost, "/", errReader{})
	r.Header.Set(HeaderStripe, Sign(secretA(), t0, nil))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 400 || !strings.Contains(w.Body.String(), CodeBodyUnreadable) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestSeveralHeaderLinesRefused(t *testing.T) {
	t.Parallel()
	body := []byte("x")
	h := must(New(Options{Secrets: [][]byte{secretA()}, Now: newClock(t0).Now}))(&echo{})
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Add(HeaderStripe, Sign(secretA(), t0, body))
	r.Header.Add(HeaderStripe, Sign(secretA(), t0, body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 401 {
		t.Fatalf("status %d", w.Code)
	}
}

func TestCustomHeaderName(t *testing.T) {
	t.Parallel()
	body := []byte("x")
	h := must(New(Options{Secrets: [][]byte{secretA()}, Header: "x-acme-signature", Now: newClock(t0).Now}))(&echo{})
	if w := deliver(h, "X-Acme-Signature", Sign(secretA(), t0, body), body); w.Code != 200 {
		t.Errorf("custom header: %d", w.Code)
	}
	if w := deliver(h, HeaderStripe, Sign(secretA(), t0, body), body); w.Code != 401 {
		t.Errorf("default header when a custom one is configured: %d", w.Code)
	}
}

func TestGitHubScheme(t *testing.T) {
	t.Parallel()
	body := []byte(`{"zen":"Keep it logically awesome."}`)
	good := SignGitHub(secretA(), body)
	for _, tt := range []struct {
		name, sig string
		body      []byte
		status    int
	}{
		{"valid_signature_passes", good, body, 200},
		{"wrong_secret", SignGitHub([]byte("0123456789abcdef0123"), body), body, 401},
		{"tampered_body", good, []byte(`{"zen":"x"}`), 401},
		{"sha1_prefix", "sha1=" + good[7:47], body, 401},
		{"missing_prefix", good[7:], body, 401},
		{"truncated", good[:len(good)-2], body, 401},
		{"stripe_format", Sign(secretA(), t0, body), body, 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := must(New(Options{Secrets: [][]byte{secretA()}, Scheme: SchemeGitHub, Now: newClock(t0).Now}))(&echo{})
			w := deliver(h, HeaderGitHub, tt.sig, tt.body)
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d", w.Code, tt.status)
			}
			if tt.status == 401 && w.Body.String() != wantInvalid {
				t.Errorf("body %s", w.Body)
			}
		})
	}
	// Without a timestamp the cache is the only replay guard: it refuses an
	// identical delivery for one tolerance window after first sight.
	clk := newClock(t0)
	v := must(NewVerifier(Options{Secrets: [][]byte{secretA()}, Scheme: SchemeGitHub, Now: clk.Now}))
	if err := v.Verify(good, body); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(DefaultTolerance))
	if err := v.Verify(good, body); !errors.Is(err, ErrReplayed) {
		t.Errorf("replay at the window's edge: %v", err)
	}
	clk.Set(t0.Add(DefaultTolerance + time.Nanosecond))
	if err := v.Verify(good, body); err != nil {
		t.Errorf("after the window the cache forgets (documented): %v", err)
	}
}

func TestNewRefusesMisconfiguration(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"no_secrets", Options{}},
		{"secret_15_bytes", Options{Secrets: [][]byte{[]byte("0123456789abcde")}}},
		{"one_short_secret_among_good", Options{Secrets: [][]byte{secretA(), []byte("short")}}},
		{"negative_tolerance", Options{Secrets: [][]byte{secretA()}, Tolerance: -time.Second}},
		{"negative_max_bytes", Options{Secrets: [][]byte{secretA()}, MaxBytes: -1}},
		{"negative_replay_entries", Options{Secrets: [][]byte{secretA()}, MaxReplayEntries: -1}},
		{"unknown_scheme", Options{Secrets: [][]byte{secretA()}, Scheme: Scheme(7)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(tt.opts); !errors.Is(err, rampart.ErrConfig) {
				t.Errorf("New: %v, want rampart.ErrConfig", err)
			}
		})
	}
	if _, err := New(Options{Secrets: [][]byte{[]byte("0123456789abcdef")}}); err != nil {
		t.Errorf("secret of exactly MinSecretBytes: %v", err)
	}
}

func TestSecretsAreCopied(t *testing.T) {
	t.Parallel()
	s := secretA()
	v := must(NewVerifier(Options{Secrets: [][]byte{s}, Now: newClock(t0).Now}))
	sig := Sign(secretA(), t0, []byte("x"))
	s[0] ^= 0xff // the caller reuses its buffer
	if err := v.Verify(sig, []byte("x")); err != nil {
		t.Errorf("Verify after the caller mutated its secret: %v", err)
	}
}

func TestSchemeString(t *testing.T) {
	t.Parallel()
	if SchemeStripe.String() != "stripe" || SchemeGitHub.String() != "github" || Scheme(9).String() != "Scheme(9)" {
		t.Error(SchemeStripe, SchemeGitHub, Scheme(9))
	}
}

// mapStore is a ReplayStore shared by two Verifiers, as replicas share
// Redis.
type mapStore struct {
	mu   sync.Mutex
	seen map[string]time.Time
	err  error
}

func (m *mapStore) MarkSeen(_ context.Context, key string, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return false, m.err
	}
	if len(key) != 64 {
		return false, errors.New("key is not 64 hex characters")
	}
	if _, ok := m.seen[key]; ok {
		return false, nil
	}
	m.seen[key] = until
	return true, nil
}

func TestReplayStoreSharedAcrossVerifiers(t *testing.T) {
	t.Parallel()
	clk := newClock(t0)
	store := &mapStore{seen: map[string]time.Time{}}
	replicaA := must(NewVerifier(Options{Secrets: [][]byte{secretA()}, Now: clk.Now, ReplayStore: store}))
	replicaB := must(NewVerifier(Options{Secrets: [][]byte{secretA()}, Now: clk.Now, ReplayStore: store}))
	body := []byte(`{"id":"evt_shared"}`)
	sig := Sign(secretA(), t0, body)
	if err := replicaA.Verify(sig, body); err != nil {
		t.Fatalf("first delivery on A: %v", err)
	}
	if err := replicaB.Verify(sig, body); !errors.Is(err, ErrReplayed) {
		t.Fatalf("replay on B: %v, want ErrReplayed", err)
	}
	for _, until := range store.seen {
		if !until.Equal(t0.Add(DefaultTolerance)) {
			t.Errorf("remembered until %v, want the end of the window %v", until, t0.Add(DefaultTolerance))
		}
	}
	// A failing store refuses with 503 and Retry-After: fail closed.
	store.err = errors.New("redis: connection refused")
	w := deliver(replicaB.Middleware(&echo{}), HeaderStripe, Sign(secretA(), t0, []byte("x")), []byte("x"))
	if w.Code != 503 || w.Header().Get("Retry-After") != "1" || strings.Contains(w.Body.String(), "redis") {
		t.Fatalf("store down: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if _, err := NewVerifier(Options{Secrets: [][]byte{secretA()}, ReplayStore: store, InsecureNoReplayCache: true}); !errors.Is(err, rampart.ErrConfig) {
		t.Fatalf("ReplayStore with InsecureNoReplayCache: %v, want rampart.ErrConfig", err)
	}
}
