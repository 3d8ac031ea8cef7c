package mfa_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/mfa"
)

// Enrol a user, then verify the code from their authenticator app. The
// clock and the random source are fixed so that the output is stable; in
// production leave Now and Rand nil.
func Example_quickstart() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tp, err := mfa.NewTOTP(mfa.Options{
		Issuer:        "Example Corp",
		RecoveryCodes: 2,
		Now:           func() time.Time { return now },
		Rand:          bytes.NewReader(bytes.Repeat([]byte("not-random-in-tests!"), 10)),
	})
	if err != nil {
		panic(err)
	}

	// Enrolment: show e.URL as a QR code and the recovery codes once;
	// store e.Secret (encrypted) and e.RecoveryHashes.
	e, err := tp.Enroll("alice@example.com")
	if err != nil {
		panic(err)
	}
	fmt.Println(e.URL)
	fmt.Println(e.RecoveryCodes)

	// Login: the app shows a code; the server verifies it once.
	code, _ := tp.Code(e.Secret, now) // what the app computes
	ctx := context.Background()
	fmt.Println(tp.Verify(ctx, "user-42", e.Secret, code))
	err = tp.Verify(ctx, "user-42", e.Secret, code)
	fmt.Println(errors.Is(err, mfa.ErrCodeReused))
	fmt.Println(mfa.ErrorCode(err))

	// A lost phone: a recovery code works once; delete its hash.
	i, err := mfa.VerifyRecoveryCode("NZXX ILLS MFXG I33N", e.RecoveryHashes)
	fmt.Println(i, err)
	// Output:
	// otpauth://totp/Example%20Corp:alice@example.com?algorithm=SHA1&digits=6&issuer=Example%20Corp&period=30&secret=NZXXILLSMFXGI33NFVUW4LLUMVZXI4ZB
	// [nzxx-ills-mfxg-i33n fvuw-4llu-mvzx-i4zb]
	// <nil>
	// true
	// MFA_INVALID invalid verification code
	// 0 <nil>
}

// Five wrong codes lock the subject out for a while; ErrorCode and
// RetryAfter give what the client may see.
func ExampleTOTP_Verify_bruteForce() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tp, _ := mfa.NewTOTP(mfa.Options{Issuer: "Example Corp", Now: func() time.Time { return now }})
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32 of "12345678901234567890"
	ctx := context.Background()
	for range 5 {
		_ = tp.Verify(ctx, "user-42", secret, "000000")
	}
	right, _ := tp.Code(secret, now)
	err := tp.Verify(ctx, "user-42", secret, right)
	code, msg := mfa.ErrorCode(err)
	retry, _ := mfa.RetryAfter(err)
	fmt.Println(code, msg, retry)
	// Output:
	// MFA_TOO_MANY_ATTEMPTS too many failed verification attempts, try again later 3m0s
}

// A sensitive operation (changing the e-mail address, reading a private
// field) asks for a second factor proved in the last five minutes.
func ExampleFresh() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := &auth.Principal{Subject: "user-42", AMR: []string{"pwd", "otp"}, AuthTime: now.Add(-5 * time.Minute)}
	fmt.Println(mfa.Fresh(p, 5*time.Minute, now))
	fmt.Println(mfa.Fresh(p, 5*time.Minute, now.Add(time.Second)))
	fmt.Println(mfa.ErrorCode(mfa.RequireFresh(p, 5*time.Minute, now.Add(time.Second))))
	// Output:
	// true
	// false
	// MFA_REQUIRED this operation requires a recent second-factor authentication
}
