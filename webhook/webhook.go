package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/expiring"
)

// Defaults for a zero Options.
const (
	// DefaultTolerance is the replay window when Options.Tolerance is zero:
	// a timestamp up to 5 minutes old, or up to 5 minutes ahead, passes.
	// Stripe's libraries use the same value.
	DefaultTolerance = 5 * time.Minute
	// DefaultMaxBytes is the body limit when Options.MaxBytes is zero.
	DefaultMaxBytes int64 = 1 << 20
	// DefaultMaxReplayEntries bounds the replay cache when
	// Options.MaxReplayEntries is zero: 10,000 deliveries per window, about
	// 33 per second sustained over 5 minutes, about 1 MiB of memory.
	DefaultMaxReplayEntries = 10_000
	// MinSecretBytes is the shortest secret New accepts. HMAC-SHA256 keys
	// should carry at least 128 bits; Stripe's "whsec_…" and GitHub's
	// generated secrets are longer. Pass Stripe's secret whole, prefix
	// included, as its own libraries do.
	MinSecretBytes = 16
	// HeaderStripe is the default header for SchemeStripe.
	HeaderStripe = "Stripe-Signature"
	// HeaderGitHub is the default header for SchemeGitHub.
	HeaderGitHub = "X-Hub-Signature-256"

	// maxHeaderBytes bounds the signature header: t= and 8 v1 entries fit
	// in under 600 bytes.
	maxHeaderBytes = 2048
	// maxSignatures bounds the v1 entries verified per request, so that a
	// header cannot multiply the HMAC work.
	maxSignatures = 8
)

// Scheme selects the signature format.
type Scheme int

const (
	// SchemeStripe (the zero value): "t=<unix>,v1=<hex>[,v1=<hex>…]", the
	// MAC taken over "<t>.<body>". Other keys (Stripe's test-mode v0) are
	// ignored.
	SchemeStripe Scheme = iota
	// SchemeGitHub: "sha256=<hex>", the MAC taken over the body alone. No
	// timestamp: see the package doc on replays.
	SchemeGitHub
)

// String returns "stripe" or "github".
func (s Scheme) String() string {
	switch s {
	case SchemeStripe:
		return "stripe"
	case SchemeGitHub:
		return "github"
	}
	return "Scheme(" + strconv.Itoa(int(s)) + ")"
}

// Options configures New and NewVerifier. The zero value (plus Secrets) is
// the hardened default.
type Options struct {
	// Secrets are the active signing secrets, each at least MinSecretBytes
	// long. A signature made with any one of them passes; during a rotation
	// configure the new and the old secret, then drop the old one. The
	// first secret also keys the replay cache. Required.
	Secrets [][]byte
	// Scheme is the signature format; zero is SchemeStripe.
	Scheme Scheme
	// Header is the request header carrying the signature; empty means
	// HeaderStripe or HeaderGitHub according to Scheme.
	Header string
	// Tolerance is how far the signed timestamp may lie from now, in either
	// direction; zero means DefaultTolerance, negative is an error. With
	// SchemeGitHub it is only the replay cache's memory.
	Tolerance time.Duration
	// MaxBytes is the largest body read; zero means DefaultMaxBytes,
	// negative is an error. A larger body gets 413.
	MaxBytes int64
	// MaxReplayEntries bounds the replay cache; zero means
	// DefaultMaxReplayEntries, negative is an error. When it is full of
	// live entries new deliveries get 503 and Retry-After (fail closed).
	MaxReplayEntries int
	// InsecureNoReplayCache turns the replay cache off: an identical
	// captured delivery can then be replayed until its timestamp leaves the
	// window (forever with SchemeGitHub). Only for handlers that are
	// idempotent by event id anyway.
	InsecureNoReplayCache bool
	// ReplayStore, when set, replaces the in-process replay cache, so that
	// replicas behind a load balancer share it (a Redis SET NX with an
	// absolute expiry fits). A store error refuses the delivery with 503
	// and Retry-After (fail closed): senders retry.
	ReplayStore ReplayStore
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives one Warn record per refusal, with the reason; nil
	// discards. Secrets and signatures are never logged.
	Logger *slog.Logger
}

// ReplayStore remembers verified deliveries across processes. MarkSeen
// records key until the time until and reports whether this was its first
// use; it must be atomic (of two concurrent calls with one key, at most one
// reports first). Keys are hex strings of 64 characters.
type ReplayStore interface {
	MarkSeen(ctx context.Context, key string, until time.Time) (first bool, err error)
}

// Verifier checks signatures. It is safe for concurrent use.
type Verifier struct {
	secrets  [][]byte
	scheme   Scheme
	header   string
	tol      time.Duration
	maxBytes int64
	cache    *expiring.Set
	store    ReplayStore
	now      func() time.Time
	log      *slog.Logger

	bodyInvalid, bodyTooBig, bodyUnread, bodyFull []byte
}

// NewVerifier validates opts and returns a Verifier. Errors wrap
// rampart.ErrConfig.
func NewVerifier(opts Options) (*Verifier, error) {
	if len(opts.Secrets) == 0 {
		return nil, fmt.Errorf("%w: webhook: no secrets", rampart.ErrConfig)
	}
	secrets := make([][]byte, len(opts.Secrets))
	for i, s := range opts.Secrets {
		if len(s) < MinSecretBytes {
			return nil, fmt.Errorf("%w: webhook: secret %d is %d bytes, want at least %d", rampart.ErrConfig, i, len(s), MinSecretBytes)
		}
		secrets[i] = bytes.Clone(s)
	}
	v := &Verifier{
		secrets:     secrets,
		scheme:      opts.Scheme,
		header:      opts.Header,
		tol:         opts.Tolerance,
		maxBytes:    opts.MaxBytes,
		now:         opts.Now,
		log:         opts.Logger,
		bodyInvalid: errorJSON(CodeSignatureInvalid, "invalid webhook signature"),
		bodyTooBig:  errorJSON(rampart.CodeRequestTooLarge, "request body too large"),
		bodyUnread:  errorJSON(CodeBodyUnreadable, "request body could not be read"),
		bodyFull:    errorJSON(CodeReplayCacheFull, "webhook receiver busy, retry later"),
	}
	switch opts.Scheme {
	case SchemeStripe:
		if v.header == "" {
			v.header = HeaderStripe
		}
	case SchemeGitHub:
		if v.header == "" {
			v.header = HeaderGitHub
		}
	default:
		return nil, fmt.Errorf("%w: webhook: unknown scheme %d", rampart.ErrConfig, int(opts.Scheme))
	}
	v.header = http.CanonicalHeaderKey(v.header)
	switch {
	case v.tol < 0:
		return nil, fmt.Errorf("%w: webhook: negative Tolerance", rampart.ErrConfig)
	case v.tol == 0:
		v.tol = DefaultTolerance
	}
	switch {
	case v.maxBytes < 0:
		return nil, fmt.Errorf("%w: webhook: negative MaxBytes", rampart.ErrConfig)
	case v.maxBytes == 0:
		v.maxBytes = DefaultMaxBytes
	}
	n := opts.MaxReplayEntries
	switch {
	case n < 0:
		return nil, fmt.Errorf("%w: webhook: negative MaxReplayEntries", rampart.ErrConfig)
	case n == 0:
		n = DefaultMaxReplayEntries
	}
	switch {
	case opts.InsecureNoReplayCache && opts.ReplayStore != nil:
		return nil, fmt.Errorf("%w: webhook: ReplayStore set with InsecureNoReplayCache", rampart.ErrConfig)
	case opts.ReplayStore != nil:
		v.store = opts.ReplayStore
	case !opts.InsecureNoReplayCache:
		v.cache = expiring.New(n)
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	return v, nil
}

// New returns middleware that verifies each request's signature before
// calling the next handler; see the package doc. Errors wrap
// rampart.ErrConfig.
func New(opts Options) (func(http.Handler) http.Handler, error) {
	v, err := NewVerifier(opts)
	if err != nil {
		return nil, err
	}
	return v.Middleware, nil
}

// Sign returns a SchemeStripe header value for body signed with secret at
// time t: "t=<unix seconds>,v1=<lowercase hex>".
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	writePayload(m, []byte(ts), body)
	var sum [sha256.Size]byte
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(sum[:0]))
}

// SignGitHub returns a SchemeGitHub header value for body:
// "sha256=<lowercase hex>".
func SignGitHub(secret []byte, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	var sum [sha256.Size]byte
	return "sha256=" + hex.EncodeToString(m.Sum(sum[:0]))
}

// writePayload writes Stripe's signed payload "<t>.<body>". ts carries
// the dot's room: the caller appends nothing after it.
func writePayload(m hash.Hash, ts []byte, body []byte) {
	m.Write(append(ts, '.'))
	m.Write(body)
}

// Verify checks header (the signature header's value) against body at the
// Verifier's clock, and records the delivery in the replay cache when it
// passes. The error wraps one of ErrNoSignature, ErrMalformedSignature,
// ErrTimestampOutOfRange, ErrSignatureMismatch, ErrReplayed or
// ErrReplayCacheFull.
func (v *Verifier) Verify(header string, body []byte) error {
	return v.VerifyContext(context.Background(), header, body)
}

// VerifyContext is Verify with a context for the ReplayStore.
func (v *Verifier) VerifyContext(ctx context.Context, header string, body []byte) error {
	now := v.now()
	p, err := v.parse(header)
	if err != nil {
		return err
	}
	if err := v.checkTime(p, now); err != nil {
		return err
	}
	_, err = v.check(ctx, p, body, now)
	return err
}

// parse reads header in the Verifier's scheme.
func (v *Verifier) parse(header string) (parsed, error) {
	if v.scheme == SchemeGitHub {
		return parseGitHub(header)
	}
	return parseStripe(header)
}

// checkTime refuses a Stripe timestamp outside the window. It runs before
// the body is read.
func (v *Verifier) checkTime(p parsed, now time.Time) error {
	if v.scheme == SchemeGitHub {
		return nil
	}
	d := now.Sub(time.Unix(p.t, 0))
	if d > v.tol || d < -v.tol {
		return fmt.Errorf("%w: t=%d is %s from now, tolerance %s", ErrTimestampOutOfRange, p.t, d.Round(time.Second), v.tol)
	}
	return nil
}

// check verifies the MAC and records the delivery. It returns how long to
// wait when the replay cache is full.
func (v *Verifier) check(ctx context.Context, p parsed, body []byte, now time.Time) (retryAfter time.Duration, err error) {
	var tb [24]byte
	ts := strconv.AppendInt(tb[:0], p.t, 10)
	var key, sum [sha256.Size]byte
	matched := false
	for i, secret := range v.secrets {
		m := hmac.New(sha256.New, secret)
		if v.scheme == SchemeStripe {
			writePayload(m, ts, body)
		} else {
			m.Write(body)
		}
		m.Sum(sum[:0])
		if i == 0 {
			key = sum
		}
		for j := range p.n {
			if hmac.Equal(sum[:], p.sigs[j][:]) {
				matched = true
				break
			}
		}
		if matched {
			break
		}
	}
	if !matched {
		return 0, fmt.Errorf("%w: %d signature(s) tried against %d secret(s)", ErrSignatureMismatch, p.n, len(v.secrets))
	}
	if v.cache == nil && v.store == nil {
		return 0, nil
	}
	// The key depends only on (t, body) and the first secret, never on
	// which header entry matched: reordering or dropping v1 entries cannot
	// make a replay look new.
	exp := now.Add(v.tol)
	if v.scheme == SchemeStripe {
		exp = time.Unix(p.t, 0).Add(v.tol)
	}
	if v.store != nil {
		first, err := v.store.MarkSeen(ctx, hex.EncodeToString(key[:]), exp)
		switch {
		case err != nil:
			return time.Second, fmt.Errorf("%w: replay store: %w", ErrReplayCacheFull, err)
		case !first:
			return 0, fmt.Errorf("%w: identical delivery accepted earlier in the window", ErrReplayed)
		}
		return 0, nil
	}
	return remember(v.cache, key, exp.UnixNano(), now.UnixNano())
}

// Middleware verifies each request, then calls next with the body replaced
// by a reader over the bytes read; see the package doc for the responses.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := v.now()
		vals := r.Header.Values(v.header)
		var p parsed
		var err error
		switch len(vals) {
		case 0:
			err = ErrNoSignature
		case 1:
			p, err = v.parse(vals[0])
		default:
			err = fmt.Errorf("%w: %d %s header lines", ErrMalformedSignature, len(vals), v.header)
		}
		if err == nil {
			err = v.checkTime(p, now)
		}
		if err != nil {
			v.refuse(w, r, http.StatusUnauthorized, v.bodyInvalid, err)
			return
		}
		if r.ContentLength > v.maxBytes {
			w.Header().Set("Connection", "close")
			v.refuse(w, r, http.StatusRequestEntityTooLarge, v.bodyTooBig,
				fmt.Errorf("%w: Content-Length %d > %d", ErrBodyTooLarge, r.ContentLength, v.maxBytes))
			return
		}
		var body []byte
		if r.Body != nil {
			body, err = io.ReadAll(io.LimitReader(r.Body, v.maxBytes+1))
			if err != nil {
				v.refuse(w, r, http.StatusBadRequest, v.bodyUnread, fmt.Errorf("webhook: reading body: %w", err))
				return
			}
			if int64(len(body)) > v.maxBytes {
				w.Header().Set("Connection", "close")
				v.refuse(w, r, http.StatusRequestEntityTooLarge, v.bodyTooBig,
					fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, v.maxBytes))
				return
			}
		}
		retry, err := v.check(r.Context(), p, body, now)
		if err != nil {
			if errors.Is(err, ErrReplayCacheFull) {
				w.Header().Set("Retry-After", strconv.FormatInt(max(1, int64((retry+time.Second-1)/time.Second)), 10))
				v.refuse(w, r, http.StatusServiceUnavailable, v.bodyFull, err)
				return
			}
			v.refuse(w, r, http.StatusUnauthorized, v.bodyInvalid, err)
			return
		}
		r2 := r.WithContext(r.Context()) // shallow copy: the caller's request stays untouched
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r2.ContentLength = int64(len(body))
		r2.TransferEncoding = nil
		next.ServeHTTP(w, r2)
	})
}

func (v *Verifier) refuse(w http.ResponseWriter, r *http.Request, status int, body []byte, reason error) {
	v.log.LogAttrs(r.Context(), slog.LevelWarn, "webhook refused",
		slog.Int("status", status),
		slog.String("reason", reason.Error()),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("remote", r.RemoteAddr))
	writeError(w, status, body)
}
