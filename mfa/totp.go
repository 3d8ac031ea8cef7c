package mfa

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/ratelimit"
)

// Defaults applied to zero Options fields.
const (
	DefaultPeriod        = 30 * time.Second
	DefaultDigits        = 6
	DefaultSkew          = 1
	DefaultRecoveryCodes = 10
	// SecretBytes is the size of the secrets Enroll makes: 160 bits, the
	// length RFC 4226 recommends.
	SecretBytes = 20
	// MinSecretBytes is the shortest secret Verify accepts (RFC 4226: at
	// least 128 bits).
	MinSecretBytes = 16
	// maxSecretBytes bounds a stored secret (512 bits, SHA-512's block).
	maxSecretBytes = 64
	// MaxSubjectBytes bounds the subject given to Verify; it becomes part of
	// limiter and used-code keys.
	MaxSubjectBytes = 256
	// maxAccountBytes bounds the account name given to Enroll.
	maxAccountBytes = 256
	// maxIssuerBytes bounds Options.Issuer.
	maxIssuerBytes = 128
)

// Sentinel values for Options fields whose zero value means a default.
const (
	// NoSkew accepts codes of the current time step only. Authenticator
	// clocks drift and users are slow: expect failures.
	NoSkew = -1
	// NoRecoveryCodes makes Enroll return no recovery codes.
	NoRecoveryCodes = -1
)

// Algorithm is the HMAC hash of TOTP codes. The zero value is SHA1, the only
// one every authenticator app supports (Google Authenticator ignores the
// others and computes wrong codes).
type Algorithm int

// Algorithms.
const (
	SHA1 Algorithm = iota
	SHA256
	SHA512
)

// String returns the algorithm's name as in an otpauth:// URL.
func (a Algorithm) String() string {
	switch a {
	case SHA1:
		return "SHA1"
	case SHA256:
		return "SHA256"
	case SHA512:
		return "SHA512"
	}
	return "Algorithm(" + strconv.Itoa(int(a)) + ")"
}

func (a Algorithm) otp() (otp.Algorithm, bool) {
	switch a {
	case SHA1:
		return otp.AlgorithmSHA1, true
	case SHA256:
		return otp.AlgorithmSHA256, true
	case SHA512:
		return otp.AlgorithmSHA512, true
	}
	return 0, false
}

// Options configures NewTOTP. Only Issuer is required; every zero field is
// the hardened default.
type Options struct {
	// Issuer names the service in authenticator apps ("Example Corp"). It
	// is required, at most 128 bytes of UTF-8, and must not contain a colon
	// (the otpauth:// label separator).
	Issuer string
	// Period is the time step. Zero means 30 seconds (what authenticator
	// apps assume); it must be whole seconds, 1 s to 10 minutes.
	Period time.Duration
	// Digits is the code length. Zero means 6; 6 to 8 are allowed.
	Digits int
	// Algorithm is the HMAC hash. The zero value is SHA1, for compatibility
	// with authenticator apps.
	Algorithm Algorithm
	// Skew is how many time steps before and after the current one are
	// also accepted, for clock drift and slow typing. Zero means 1 (a code
	// lives about 90 seconds); NoSkew means none; at most 3.
	Skew int
	// RecoveryCodes is how many recovery codes Enroll makes. Zero means 10;
	// NoRecoveryCodes means none; at most 100.
	RecoveryCodes int
	// MaxFailures and FailureWindow set the brute-force limit per subject:
	// MaxFailures failed attempts, then one more every
	// FailureWindow/MaxFailures; a success resets the count. Zero means 5
	// failures per 15 minutes (ratelimit.LockoutOptions' defaults).
	MaxFailures   int
	FailureWindow time.Duration
	// Limiter counts failures. It must also implement ratelimit.Resetter
	// (ratelimit.Memory and Redis do); share a Redis one between replicas so
	// that attempts spread across them are counted together. Nil means a
	// private ratelimit.Memory using Now.
	Limiter ratelimit.Limiter
	// UsedCodes remembers accepted codes so that each is accepted once;
	// share one between replicas. Nil means a private MemoryUsedCodes using
	// Now.
	UsedCodes UsedCodes
	// Now returns the current time. Nil means time.Now.
	Now func() time.Time
	// Rand is the source of secrets and recovery codes. Nil means
	// crypto/rand; set it only in tests and examples.
	Rand io.Reader
	// Logger receives backend failures that do not change the outcome (a
	// failed reset of the failure count after a success). Nil discards.
	Logger *slog.Logger
}

// TOTP enrols users in and verifies time-based one-time passwords (RFC
// 6238). It is safe for concurrent use. Create it with NewTOTP.
type TOTP struct {
	issuer        string
	period        int64 // seconds
	digits        int
	alg           otp.Algorithm
	skew          int64
	recoveryCodes int
	lockout       *ratelimit.Lockout
	used          UsedCodes
	now           func() time.Time
	rand          io.Reader
	log           *slog.Logger
}

// NewTOTP validates opts and returns a TOTP. Misconfiguration is an error
// wrapping rampart.ErrConfig.
func NewTOTP(opts Options) (*TOTP, error) {
	bad := func(format string, args ...any) (*TOTP, error) {
		return nil, fmt.Errorf("%w: mfa: "+format, append([]any{rampart.ErrConfig}, args...)...)
	}
	switch {
	case opts.Issuer == "":
		return bad("Issuer is required")
	case len(opts.Issuer) > maxIssuerBytes || !utf8.ValidString(opts.Issuer) || strings.ContainsRune(opts.Issuer, ':'):
		return bad("Issuer must be at most %d bytes of UTF-8 without a colon", maxIssuerBytes)
	}
	if opts.Period == 0 {
		opts.Period = DefaultPeriod
	}
	if opts.Period < time.Second || opts.Period > 10*time.Minute || opts.Period%time.Second != 0 {
		return bad("Period %v must be whole seconds from 1s to 10m", opts.Period)
	}
	if opts.Digits == 0 {
		opts.Digits = DefaultDigits
	}
	if opts.Digits < 6 || opts.Digits > 8 {
		return bad("Digits %d must be 6 to 8", opts.Digits)
	}
	alg, ok := opts.Algorithm.otp()
	if !ok {
		return bad("unknown %v", opts.Algorithm)
	}
	switch {
	case opts.Skew == 0:
		opts.Skew = DefaultSkew
	case opts.Skew == NoSkew:
		opts.Skew = 0
	case opts.Skew < 0 || opts.Skew > 3:
		return bad("Skew %d must be NoSkew or 0 to 3", opts.Skew)
	}
	switch {
	case opts.RecoveryCodes == 0:
		opts.RecoveryCodes = DefaultRecoveryCodes
	case opts.RecoveryCodes == NoRecoveryCodes:
		opts.RecoveryCodes = 0
	case opts.RecoveryCodes < 0 || opts.RecoveryCodes > 100:
		return bad("RecoveryCodes %d must be NoRecoveryCodes or 0 to 100", opts.RecoveryCodes)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Limiter == nil {
		m, err := ratelimit.NewMemory(ratelimit.MemoryOptions{Now: opts.Now})
		if err != nil {
			return nil, fmt.Errorf("%w: mfa: %w", rampart.ErrConfig, err)
		}
		opts.Limiter = m
	}
	lo, err := ratelimit.NewLockout(opts.Limiter, ratelimit.LockoutOptions{MaxFailures: opts.MaxFailures, Window: opts.FailureWindow})
	if err != nil {
		return nil, fmt.Errorf("%w: mfa: %w", rampart.ErrConfig, err)
	}
	if opts.UsedCodes == nil {
		u, err := NewMemoryUsedCodes(MemoryUsedCodesOptions{Now: opts.Now})
		if err != nil {
			return nil, err
		}
		opts.UsedCodes = u
	}
	return &TOTP{
		issuer:        opts.Issuer,
		period:        int64(opts.Period / time.Second),
		digits:        opts.Digits,
		alg:           alg,
		skew:          int64(opts.Skew),
		recoveryCodes: opts.RecoveryCodes,
		lockout:       lo,
		used:          opts.UsedCodes,
		now:           opts.Now,
		rand:          opts.Rand,
		log:           opts.Logger,
	}, nil
}

// Enrollment is what Enroll returns: everything a user needs to set up an
// authenticator app, and what the server stores.
type Enrollment struct {
	// Secret is the shared secret, unpadded base32 (RFC 4648). Store it
	// encrypted at rest (it verifies codes, so it cannot be hashed), and
	// show it to the user only as part of URL or for manual entry.
	Secret string
	// URL is the otpauth://totp/ key URI to render as a QR code. It
	// contains the secret: send it to the user once, never log it.
	URL string
	// RecoveryCodes are one-time codes for when the authenticator is lost,
	// in the form "abcd-efgh-ijkl-mnop" (16 base32 characters, 80 bits).
	// Show them to the user once; do not store them.
	RecoveryCodes []string
	// RecoveryHashes are the hashes of RecoveryCodes, in the same order, to
	// store; VerifyRecoveryCode checks a code against them.
	RecoveryHashes []string
}

// Enroll makes a fresh 160-bit secret for accountName (the user's e-mail
// address or user name, shown in the authenticator app), its otpauth:// URL,
// and the configured number of recovery codes with their hashes.
//
// Store the secret as pending and activate it only after the user has
// proved the app works by submitting one code to Verify; until then keep
// the account's previous factor. accountName must be non-empty UTF-8 of at
// most 256 bytes without a colon (ErrInvalidAccount).
func (t *TOTP) Enroll(accountName string) (Enrollment, error) {
	if accountName == "" || len(accountName) > maxAccountBytes || !utf8.ValidString(accountName) || strings.ContainsRune(accountName, ':') {
		return Enrollment{}, fmt.Errorf("%w: want 1 to %d bytes of UTF-8 without a colon", ErrInvalidAccount, maxAccountBytes)
	}
	secret := make([]byte, SecretBytes)
	if _, err := io.ReadFull(t.rand, secret); err != nil {
		return Enrollment{}, fmt.Errorf("mfa: reading random secret: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer:      t.issuer,
		AccountName: accountName,
		Period:      uint(t.period),
		Secret:      secret,
		Digits:      otp.Digits(t.digits),
		Algorithm:   t.alg,
	})
	if err != nil {
		return Enrollment{}, fmt.Errorf("mfa: building key URL: %w", err)
	}
	codes, hashes, err := newRecoveryCodes(t.rand, t.recoveryCodes)
	if err != nil {
		return Enrollment{}, err
	}
	return Enrollment{Secret: key.Secret(), URL: key.URL(), RecoveryCodes: codes, RecoveryHashes: hashes}, nil
}

// Verify checks code, a TOTP code the user typed, against secret (as
// returned by Enroll) for subject (the user id: it keys the brute-force
// limit and the used-code record). It returns nil when code is correct for
// the current time step or one within the skew, and was not accepted before.
//
// Every attempt first spends one of the subject's allowed failures, so that
// concurrent guesses are counted too; a success gives them all back. The
// errors:
//
//   - ErrInvalidCode: wrong, or not exactly Digits ASCII digits.
//   - ErrCodeReused (with ErrInvalidCode): correct but already accepted in
//     its window, a replay.
//   - *TooManyAttemptsError (ErrTooManyAttempts): the subject failed
//     MaxFailures times; the code was not checked.
//   - ErrUnavailable: the limiter or the UsedCodes store failed; the code
//     is refused (fail closed).
//   - ErrInvalidSecret, ErrInvalidSubject: the caller's data is broken.
//
// ErrorCode maps each to what a client may see. The comparison runs in
// constant time over every accepted time step.
func (t *TOTP) Verify(ctx context.Context, subject, secret, code string) error {
	key, err := t.begin(ctx, subject, secret)
	if err != nil {
		return err
	}
	now := t.now()
	step, ok := t.match(key, code, now)
	if !ok {
		return ErrInvalidCode
	}
	first, err := t.used.MarkUsed(ctx, usedKey(subject, step), time.Unix((step+t.skew+1)*t.period, 0))
	if err != nil {
		return fmt.Errorf("%w: used-code store: %w", ErrUnavailable, err)
	}
	if !first {
		return fmt.Errorf("%w: %w", ErrCodeReused, ErrInvalidCode)
	}
	t.succeeded(ctx, subject)
	return nil
}

// Code returns the code for secret at time at, as an authenticator app would
// show it. Servers do not need it to verify; tests and examples do.
func (t *TOTP) Code(secret string, at time.Time) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	return t.codeAt(key, floorDiv(at.Unix(), t.period))
}

// begin validates the caller's data and spends one attempt from subject's
// budget.
func (t *TOTP) begin(ctx context.Context, subject, secret string) (string, error) {
	if subject == "" || len(subject) > MaxSubjectBytes {
		return "", fmt.Errorf("%w: want 1 to %d bytes", ErrInvalidSubject, MaxSubjectBytes)
	}
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	d, err := t.lockout.Failure(ctx, limiterKey(subject))
	if err != nil {
		return "", fmt.Errorf("%w: limiter: %w", ErrUnavailable, err)
	}
	if !d.Allowed {
		return "", &TooManyAttemptsError{RetryAfter: d.RetryAfter}
	}
	return key, nil
}

// succeeded gives subject back its attempts.
func (t *TOTP) succeeded(ctx context.Context, subject string) {
	if err := t.lockout.Success(ctx, limiterKey(subject)); err != nil {
		// The code was right and is spent; refusing now would burn it.
		// The failure count decays on its own.
		t.log.LogAttrs(ctx, slog.LevelWarn, "mfa: resetting failure count", slog.String("error", err.Error()))
	}
}

// match reports whether code is the code of a time step within the skew of
// now, and which. Every step is computed and compared, in constant time; a
// code of the wrong length or with a non-digit is refused first (its shape
// is the attacker's own input and reveals nothing about the secret).
func (t *TOTP) match(key, code string, now time.Time) (int64, bool) {
	if len(code) != t.digits {
		return 0, false
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return 0, false
		}
	}
	current := floorDiv(now.Unix(), t.period)
	var found int
	var step int64
	for s := current - t.skew; s <= current+t.skew; s++ {
		if s < 0 {
			continue
		}
		want, err := t.codeAt(key, s)
		if err != nil {
			return 0, false // unreachable: key was decoded by decodeSecret
		}
		eq := subtle.ConstantTimeCompare([]byte(want), []byte(code))
		// Keep the first matching step without a data-dependent branch.
		take := eq & (1 - found)
		step = int64(subtle.ConstantTimeSelect(take, int(s), int(step)))
		found |= eq
	}
	return step, found == 1
}

func (t *TOTP) codeAt(key string, step int64) (string, error) {
	return hotp.GenerateCodeCustom(key, uint64(step), hotp.ValidateOpts{Digits: otp.Digits(t.digits), Algorithm: t.alg})
}

// secretEncoding is RFC 4648 base32 without padding, as in otpauth:// URLs.
var secretEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// decodeSecret checks that secret is unpadded upper-case base32 of 128 to
// 512 bits and returns it in the form hotp expects.
func decodeSecret(secret string) (string, error) {
	if len(secret) > secretEncoding.EncodedLen(maxSecretBytes) {
		return "", fmt.Errorf("%w: longer than %d bytes", ErrInvalidSecret, maxSecretBytes)
	}
	b, err := secretEncoding.DecodeString(secret)
	if err != nil {
		return "", fmt.Errorf("%w: not unpadded base32", ErrInvalidSecret)
	}
	if len(b) < MinSecretBytes {
		return "", fmt.Errorf("%w: %d bits, want at least %d", ErrInvalidSecret, 8*len(b), 8*MinSecretBytes)
	}
	return secret, nil
}

func limiterKey(subject string) string { return "mfa:fail:" + subject }

// usedKey names subject's code for step. The step is the last,
// colon-free component, so distinct (subject, step) pairs give distinct keys.
func usedKey(subject string, step int64) string {
	return "mfa:used:" + subject + ":" + strconv.FormatInt(step, 10)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
