package mfa_test

import (
	"context"
	"encoding/base32"
	"errors"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/mfa"
	"github.com/rampart-go/rampart/ratelimit"
)

// TestRFC6238Vectors checks codes and verification against the test vectors
// of RFC 6238, Appendix B (8 digits, 30-second steps, T0 = 0).
func TestRFC6238Vectors(t *testing.T) {
	t.Parallel()
	b32 := base32.StdEncoding.WithPadding(base32.NoPadding)
	secrets := map[mfa.Algorithm]string{
		mfa.SHA1:   b32.EncodeToString([]byte("12345678901234567890")),
		mfa.SHA256: b32.EncodeToString([]byte("12345678901234567890123456789012")),
		mfa.SHA512: b32.EncodeToString([]byte("1234567890123456789012345678901234567890123456789012345678901234")),
	}
	vectors := []struct {
		unix int64
		want map[mfa.Algorithm]string
	}{
		{59, map[mfa.Algorithm]string{mfa.SHA1: "94287082", mfa.SHA256: "46119246", mfa.SHA512: "90693936"}},
		{1111111109, map[mfa.Algorithm]string{mfa.SHA1: "07081804", mfa.SHA256: "68084774", mfa.SHA512: "25091201"}},
		{1111111111, map[mfa.Algorithm]string{mfa.SHA1: "14050471", mfa.SHA256: "67062674", mfa.SHA512: "99943326"}},
		{1234567890, map[mfa.Algorithm]string{mfa.SHA1: "89005924", mfa.SHA256: "91819424", mfa.SHA512: "93441116"}},
		{2000000000, map[mfa.Algorithm]string{mfa.SHA1: "69279037", mfa.SHA256: "90698825", mfa.SHA512: "38618901"}},
		{20000000000, map[mfa.Algorithm]string{mfa.SHA1: "65353130", mfa.SHA256: "77737706", mfa.SHA512: "47863826"}},
	}
	for _, v := range vectors {
		for alg, want := range v.want {
			t.Run(alg.String()+"/"+time.Unix(v.unix, 0).UTC().Format(time.RFC3339), func(t *testing.T) {
				t.Parallel()
				at := time.Unix(v.unix, 0)
				tp := newTOTP(t, newClock(at), mfa.Options{Digits: 8, Algorithm: alg, Skew: mfa.NoSkew})
				if got := codeAt(t, tp, secrets[alg], at); got != want {
					t.Fatalf("Code = %s, want %s", got, want)
				}
				if err := tp.Verify(context.Background(), "user-1", secrets[alg], want); err != nil {
					t.Fatalf("Verify(%s) = %v", want, err)
				}
			})
		}
	}
}

// TestVerifyReplayRefused: a correct code passes once; presenting it again
// while it is still within its window is a replay.
func TestVerifyReplayRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newClock(t0)
	tp := newTOTP(t, clock, mfa.Options{})
	code := codeAt(t, tp, testSecret, t0)

	if err := tp.Verify(ctx, "alice", testSecret, code); err != nil {
		t.Fatalf("first use: %v", err)
	}
	err := tp.Verify(ctx, "alice", testSecret, code)
	if !errors.Is(err, mfa.ErrCodeReused) || !errors.Is(err, mfa.ErrInvalidCode) {
		t.Fatalf("replay: %v, want ErrCodeReused and ErrInvalidCode", err)
	}
	if c, _ := mfa.ErrorCode(err); c != mfa.CodeMFAInvalid {
		t.Errorf("replay code %q, want %q (a replay is not told apart from a wrong code)", c, mfa.CodeMFAInvalid)
	}
	// Still within the skew one step later: still a replay.
	clock.Advance(30 * time.Second)
	if err := tp.Verify(ctx, "alice", testSecret, code); !errors.Is(err, mfa.ErrCodeReused) {
		t.Fatalf("replay one step later: %v, want ErrCodeReused", err)
	}
	// Another subject with the same secret is a different record.
	if err := tp.Verify(ctx, "bob", testSecret, code); err != nil {
		t.Fatalf("same code for another subject: %v", err)
	}
	// Past the window the code is simply wrong.
	clock.Advance(30 * time.Second)
	if err := tp.Verify(ctx, "alice", testSecret, code); !errors.Is(err, mfa.ErrInvalidCode) || errors.Is(err, mfa.ErrCodeReused) {
		t.Fatalf("expired code: %v, want ErrInvalidCode only", err)
	}
	// The next code is accepted.
	if err := tp.Verify(ctx, "alice", testSecret, codeAt(t, tp, testSecret, clock.Now())); err != nil {
		t.Fatalf("next code: %v", err)
	}
}

// TestVerifyConcurrentReplay: of many concurrent submissions of one code,
// exactly one is accepted.
func TestVerifyConcurrentReplay(t *testing.T) {
	t.Parallel()
	tp := newTOTP(t, newClock(t0), mfa.Options{MaxFailures: 100})
	code := codeAt(t, tp, testSecret, t0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, reused := 0, 0
	for range 20 {
		wg.Go(func() {
			err := tp.Verify(context.Background(), "alice", testSecret, code)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, mfa.ErrCodeReused):
				reused++
			default:
				t.Errorf("unexpected %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 1 || reused != 19 {
		t.Fatalf("accepted %d, reused %d; want 1 and 19", ok, reused)
	}
}

// TestVerifySkew: codes one step early or late pass (default skew 1); two
// steps off fail; NoSkew accepts the current step only.
func TestVerifySkew(t *testing.T) {
	t.Parallel()
	const period = 30 * time.Second
	tests := []struct {
		name   string
		skew   int
		offset time.Duration // when the code was made, relative to now
		ok     bool
	}{
		{"current_step", 0, 0, true},
		{"one_step_late_at_limit", 0, -period, true},
		{"one_step_early_at_limit", 0, period, true},
		{"two_steps_late_refused", 0, -2 * period, false},
		{"two_steps_early_refused", 0, 2 * period, false},
		{"first_second_one_step_back", 0, -period - 10*time.Second, true},
		{"last_second_two_steps_back_refused", 0, -period - 11*time.Second, false},
		{"last_second_one_step_ahead", 0, 2*period - 11*time.Second, true},
		{"first_second_two_steps_ahead_refused", 0, 2*period - 10*time.Second, false},
		{"skew2_two_steps_late", 2, -2 * period, true},
		{"skew2_three_steps_late_refused", 2, -3 * period, false},
		{"noskew_current", mfa.NoSkew, 0, true},
		{"noskew_one_step_late_refused", mfa.NoSkew, -period, false},
		{"noskew_one_step_early_refused", mfa.NoSkew, period, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := t0.Add(10 * time.Second) // mid-step
			tp := newTOTP(t, newClock(now), mfa.Options{Skew: tt.skew})
			code := codeAt(t, tp, testSecret, now.Add(tt.offset))
			err := tp.Verify(context.Background(), "alice", testSecret, code)
			if (err == nil) != tt.ok {
				t.Fatalf("Verify(code at %v) = %v, want ok=%v", tt.offset, err, tt.ok)
			}
			if err != nil && !errors.Is(err, mfa.ErrInvalidCode) {
				t.Fatalf("refusal %v is not ErrInvalidCode", err)
			}
		})
	}
}

// TestVerifyMalformedCode: anything but exactly Digits ASCII digits is
// refused, including the valid code with decoration.
func TestVerifyMalformedCode(t *testing.T) {
	t.Parallel()
	clock := newClock(t0)
	tp := newTOTP(t, clock, mfa.Options{MaxFailures: 100})
	valid := codeAt(t, tp, testSecret, t0)
	for _, code := range []string{
		"",
		valid[:5],    // one digit short
		valid + "0",  // one digit long
		" " + valid,  // leading space
		valid + "\n", // trailing newline
		valid[:3] + " " + valid[3:],
		"+" + valid[1:],
		"-" + valid[1:],
		"１２３４５６", // full-width digits
		"12345a",
		"٣٣٣٣٣٣", // Arabic-Indic digits
		strings.Repeat("1", 10_000),
	} {
		err := tp.Verify(context.Background(), "alice", testSecret, code)
		if !errors.Is(err, mfa.ErrInvalidCode) {
			t.Errorf("Verify(%q) = %v, want ErrInvalidCode", code, err)
		}
	}
	// The bare valid code still passes.
	if err := tp.Verify(context.Background(), "alice", testSecret, valid); err != nil {
		t.Fatalf("valid code after malformed ones: %v", err)
	}
}

// TestVerifyBruteForceThrottled: five wrong codes, then every attempt is
// refused (even the right code) with a retry-after until one failure is
// forgiven; a success resets the count.
func TestVerifyBruteForceThrottled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newClock(t0)
	tp := newTOTP(t, clock, mfa.Options{})
	wrong := wrongCode(t, tp, testSecret, t0, 30*time.Second, 1)

	for i := range ratelimit.DefaultMaxFailures {
		if err := tp.Verify(ctx, "alice", testSecret, wrong); !errors.Is(err, mfa.ErrInvalidCode) {
			t.Fatalf("failure %d: %v, want ErrInvalidCode", i+1, err)
		}
	}
	// Sixth attempt, with the right code: refused without checking.
	right := codeAt(t, tp, testSecret, clock.Now())
	err := tp.Verify(ctx, "alice", testSecret, right)
	if !errors.Is(err, mfa.ErrTooManyAttempts) {
		t.Fatalf("attempt 6: %v, want ErrTooManyAttempts", err)
	}
	ra, ok := mfa.RetryAfter(err)
	if !ok || ra <= 0 || ra > 3*time.Minute {
		t.Fatalf("RetryAfter = %v, %v; want (0, 3m]", ra, ok)
	}
	if c, msg := mfa.ErrorCode(err); c != mfa.CodeTooManyAttempts || msg != mfa.MessageTooManyAttempts {
		t.Errorf("ErrorCode = %q %q", c, msg)
	}
	// Another subject is not affected.
	if err := tp.Verify(ctx, "bob", testSecret, right); err != nil {
		t.Fatalf("other subject: %v", err)
	}
	// One failure is forgiven every 15m/5 = 3m: after RetryAfter exactly one
	// attempt is allowed.
	clock.Advance(ra)
	right = codeAt(t, tp, testSecret, clock.Now())
	if err := tp.Verify(ctx, "alice", testSecret, right); err != nil {
		t.Fatalf("after RetryAfter: %v", err)
	}
	// The success reset the count: five more failures before a lockout.
	wrong = wrongCode(t, tp, testSecret, clock.Now(), 30*time.Second, 1)
	for i := range ratelimit.DefaultMaxFailures {
		if err := tp.Verify(ctx, "alice", testSecret, wrong); !errors.Is(err, mfa.ErrInvalidCode) {
			t.Fatalf("failure %d after reset: %v, want ErrInvalidCode", i+1, err)
		}
	}
	if err := tp.Verify(ctx, "alice", testSecret, wrong); !errors.Is(err, mfa.ErrTooManyAttempts) {
		t.Fatalf("attempt 6 after reset: %v, want ErrTooManyAttempts", err)
	}
}

// TestVerifyBruteForceConcurrent: guesses sent all at once are counted
// before they are checked, so no more than MaxFailures are tried.
func TestVerifyBruteForceConcurrent(t *testing.T) {
	t.Parallel()
	tp := newTOTP(t, newClock(t0), mfa.Options{})
	wrong := wrongCode(t, tp, testSecret, t0, 30*time.Second, 1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	tried, throttled := 0, 0
	for range 50 {
		wg.Go(func() {
			err := tp.Verify(context.Background(), "alice", testSecret, wrong)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, mfa.ErrTooManyAttempts):
				throttled++
			case errors.Is(err, mfa.ErrInvalidCode):
				tried++
			default:
				t.Errorf("unexpected %v", err)
			}
		})
	}
	wg.Wait()
	if tried != ratelimit.DefaultMaxFailures || throttled != 50-ratelimit.DefaultMaxFailures {
		t.Fatalf("tried %d, throttled %d; want %d and %d", tried, throttled, ratelimit.DefaultMaxFailures, 50-ratelimit.DefaultMaxFailures)
	}
}

// TestVerifyFailsClosed: when the limiter or the used-code store fails, the
// right code is refused with ErrUnavailable, and clients learn nothing more.
func TestVerifyFailsClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts mfa.Options
	}{
		{"limiter_down", mfa.Options{Limiter: failingLimiter{}}},
		{"used_codes_down", mfa.Options{UsedCodes: failingUsedCodes{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tp := newTOTP(t, newClock(t0), tt.opts)
			err := tp.Verify(context.Background(), "alice", testSecret, codeAt(t, tp, testSecret, t0))
			if !errors.Is(err, mfa.ErrUnavailable) {
				t.Fatalf("Verify = %v, want ErrUnavailable", err)
			}
			if c, msg := mfa.ErrorCode(err); c != mfa.CodeMFAUnavailable || strings.Contains(msg, "store") || strings.Contains(msg, "refused") {
				t.Errorf("ErrorCode = %q %q", c, msg)
			}
			_, err = tp.VerifyRecovery(context.Background(), "alice", "abcd-efgh-ijkl-mnop", nil)
			if tt.name == "limiter_down" && !errors.Is(err, mfa.ErrUnavailable) {
				t.Fatalf("VerifyRecovery = %v, want ErrUnavailable", err)
			}
		})
	}
}

// TestVerifyBadCallerData: a broken stored secret or subject is the
// caller's fault; it neither passes nor spends the user's attempts.
func TestVerifyBadCallerData(t *testing.T) {
	t.Parallel()
	tp := newTOTP(t, newClock(t0), mfa.Options{})
	b32 := base32.StdEncoding.WithPadding(base32.NoPadding)
	tests := []struct {
		name, subject, secret string
		want                  error
	}{
		{"secret_not_base32", "alice", "not base32!", mfa.ErrInvalidSecret},
		{"secret_padded", "alice", testSecret + "====", mfa.ErrInvalidSecret},
		{"secret_lowercase", "alice", strings.ToLower(testSecret), mfa.ErrInvalidSecret},
		{"secret_120_bits_refused", "alice", b32.EncodeToString(make([]byte, 15)), mfa.ErrInvalidSecret},
		{"secret_too_long", "alice", b32.EncodeToString(make([]byte, 65)), mfa.ErrInvalidSecret},
		{"secret_empty", "alice", "", mfa.ErrInvalidSecret},
		{"subject_empty", "", testSecret, mfa.ErrInvalidSubject},
		{"subject_too_long", strings.Repeat("u", mfa.MaxSubjectBytes+1), testSecret, mfa.ErrInvalidSubject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tp.Verify(context.Background(), tt.subject, tt.secret, "123456")
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if c, _ := mfa.ErrorCode(err); c != mfa.CodeMFAUnavailable {
				t.Errorf("ErrorCode = %q, want %q", c, mfa.CodeMFAUnavailable)
			}
		})
	}
	// 128 bits is the minimum and works; none of the above spent alice's
	// attempts.
	s128 := b32.EncodeToString([]byte("0123456789abcdef"))
	for range ratelimit.DefaultMaxFailures - 1 {
		_ = tp.Verify(context.Background(), "alice", s128, "000000x")
	}
	if err := tp.Verify(context.Background(), "alice", s128, codeAt(t, tp, s128, t0)); err != nil {
		t.Fatalf("128-bit secret at the limit: %v", err)
	}
	// The subject at its length limit works too.
	long := strings.Repeat("u", mfa.MaxSubjectBytes)
	if err := tp.Verify(context.Background(), long, testSecret, codeAt(t, tp, testSecret, t0)); err != nil {
		t.Fatalf("subject of %d bytes: %v", mfa.MaxSubjectBytes, err)
	}
}

// TestNewTOTPOptions: misconfiguration fails at construction.
func TestNewTOTPOptions(t *testing.T) {
	t.Parallel()
	noReset, err := ratelimit.NewMemory(ratelimit.MemoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts mfa.Options
		ok   bool
	}{
		{"zero_with_issuer", mfa.Options{Issuer: "Example"}, true},
		{"no_issuer", mfa.Options{}, false},
		{"issuer_with_colon", mfa.Options{Issuer: "Ex:ample"}, false},
		{"issuer_invalid_utf8", mfa.Options{Issuer: "\xff"}, false},
		{"issuer_too_long", mfa.Options{Issuer: strings.Repeat("x", 129)}, false},
		{"period_fractional", mfa.Options{Issuer: "E", Period: 1500 * time.Millisecond}, false},
		{"period_negative", mfa.Options{Issuer: "E", Period: -time.Second}, false},
		{"period_10m_at_limit", mfa.Options{Issuer: "E", Period: 10 * time.Minute}, true},
		{"period_past_limit", mfa.Options{Issuer: "E", Period: 10*time.Minute + time.Second}, false},
		{"digits_5", mfa.Options{Issuer: "E", Digits: 5}, false},
		{"digits_8_at_limit", mfa.Options{Issuer: "E", Digits: 8}, true},
		{"digits_9", mfa.Options{Issuer: "E", Digits: 9}, false},
		{"algorithm_unknown", mfa.Options{Issuer: "E", Algorithm: mfa.Algorithm(9)}, false},
		{"skew_3_at_limit", mfa.Options{Issuer: "E", Skew: 3}, true},
		{"skew_4", mfa.Options{Issuer: "E", Skew: 4}, false},
		{"skew_negative", mfa.Options{Issuer: "E", Skew: -2}, false},
		{"recovery_100_at_limit", mfa.Options{Issuer: "E", RecoveryCodes: 100}, true},
		{"recovery_101", mfa.Options{Issuer: "E", RecoveryCodes: 101}, false},
		{"max_failures_negative", mfa.Options{Issuer: "E", MaxFailures: -1}, false},
		{"limiter_with_resetter", mfa.Options{Issuer: "E", Limiter: noReset}, true},
		{"limiter_without_resetter", mfa.Options{Issuer: "E", Limiter: allowOnly{noReset}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := mfa.NewTOTP(tt.opts)
			if (err == nil) != tt.ok {
				t.Fatalf("NewTOTP = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, rampart.ErrConfig) {
				t.Fatalf("error %v does not wrap rampart.ErrConfig", err)
			}
		})
	}
}

// allowOnly hides a limiter's Reset method.
type allowOnly struct{ l ratelimit.Limiter }

func (a allowOnly) Allow(ctx context.Context, key string, r ratelimit.Rate, n int) (ratelimit.Decision, error) {
	return a.l.Allow(ctx, key, r, n)
}

// TestEnroll: a fresh 160-bit secret, a key URI authenticator apps read,
// and recovery codes whose hashes verify.
func TestEnroll(t *testing.T) {
	t.Parallel()
	tp := newTOTP(t, newClock(t0), mfa.Options{Issuer: "Example Corp"})
	e, err := tp.Enroll("alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret)
	if err != nil || len(raw) != mfa.SecretBytes {
		t.Fatalf("secret %q decodes to %d bytes (%v), want %d", e.Secret, len(raw), err, mfa.SecretBytes)
	}
	u, err := url.Parse(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Example Corp:alice@example.com" ||
		q.Get("secret") != e.Secret || q.Get("issuer") != "Example Corp" || q.Get("algorithm") != "SHA1" ||
		q.Get("digits") != "6" || q.Get("period") != "30" {
		t.Fatalf("URL %s", e.URL)
	}
	if len(e.RecoveryCodes) != mfa.DefaultRecoveryCodes || len(e.RecoveryHashes) != mfa.DefaultRecoveryCodes {
		t.Fatalf("%d codes, %d hashes; want %d", len(e.RecoveryCodes), len(e.RecoveryHashes), mfa.DefaultRecoveryCodes)
	}
	shape := regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`)
	seen := map[string]bool{}
	for i, c := range e.RecoveryCodes {
		if !shape.MatchString(c) || seen[c] {
			t.Errorf("recovery code %q malformed or repeated", c)
		}
		seen[c] = true
		if e.RecoveryHashes[i] != mfa.HashRecoveryCode(c) || strings.Contains(e.RecoveryHashes[i], c) {
			t.Errorf("hash %d does not match code", i)
		}
		if got, err := mfa.VerifyRecoveryCode(c, e.RecoveryHashes); err != nil || got != i {
			t.Errorf("VerifyRecoveryCode(code %d) = %d, %v", i, got, err)
		}
	}
	// The secret works with Verify, and a second enrolment gets another.
	if err := tp.Verify(context.Background(), "alice", e.Secret, codeAt(t, tp, e.Secret, t0)); err != nil {
		t.Fatalf("Verify with the enrolled secret: %v", err)
	}
	e2, err := tp.Enroll("alice@example.com")
	if err != nil || e2.Secret == e.Secret || e2.RecoveryCodes[0] == e.RecoveryCodes[0] {
		t.Fatalf("second enrolment reused randomness (%v)", err)
	}
}

// TestEnrollRefuses: bad account names, and a failing random source.
func TestEnrollRefuses(t *testing.T) {
	t.Parallel()
	tp := newTOTP(t, newClock(t0), mfa.Options{})
	for _, name := range []string{"", "a:b", "\xff", strings.Repeat("a", 257)} {
		if _, err := tp.Enroll(name); !errors.Is(err, mfa.ErrInvalidAccount) {
			t.Errorf("Enroll(%.10q) = %v, want ErrInvalidAccount", name, err)
		}
	}
	if _, err := tp.Enroll(strings.Repeat("a", 256)); err != nil {
		t.Errorf("account of 256 bytes (at the limit): %v", err)
	}
	broken := newTOTP(t, newClock(t0), mfa.Options{Rand: strings.NewReader("short")})
	if _, err := broken.Enroll("alice"); err == nil {
		t.Fatal("Enroll with an exhausted random source succeeded")
	}
	none := newTOTP(t, newClock(t0), mfa.Options{RecoveryCodes: mfa.NoRecoveryCodes})
	e, err := none.Enroll("alice")
	if err != nil || len(e.RecoveryCodes) != 0 || len(e.RecoveryHashes) != 0 {
		t.Fatalf("NoRecoveryCodes: %d codes, %v", len(e.RecoveryCodes), err)
	}
}
