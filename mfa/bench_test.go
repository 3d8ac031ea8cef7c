package mfa_test

import (
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/rampart-go/rampart/mfa"
)

// BenchmarkVerify measures Verify on the accepting path (limiter spend and
// reset, three HMACs compared in constant time, used-code record) and on
// the refusing path. The baseline is pquerna/otp's totp.ValidateCustom with
// the same settings, which compares codes but neither limits attempts nor
// refuses replays.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	clock := newClock(t0)
	opts := totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	b.Run("baseline_pquerna_validate", func(b *testing.B) {
		tp := newTOTP(b, clock, mfa.Options{})
		code := codeAt(b, tp, testSecret, t0)
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := totp.ValidateCustom(code, testSecret, t0, opts); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("accept", func(b *testing.B) {
		// A store that never refuses, so the same code can be accepted
		// again; the memory store's cost is measured below.
		tp := newTOTP(b, clock, mfa.Options{UsedCodes: alwaysFirstUse{}})
		code := codeAt(b, tp, testSecret, t0)
		b.ReportAllocs()
		for b.Loop() {
			if err := tp.Verify(ctx, "alice", testSecret, code); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("accept_memory_used_codes", func(b *testing.B) {
		// The clock moves one step per iteration so that each code is a
		// first use and expired records are swept as they would be; the
		// figure includes computing the code (one more HMAC).
		tp := newTOTP(b, clock, mfa.Options{})
		at := t0
		b.ReportAllocs()
		for b.Loop() {
			at = at.Add(30 * time.Second)
			clock.Set(at)
			code, err := tp.Code(testSecret, at)
			if err != nil {
				b.Fatal(err)
			}
			if err := tp.Verify(ctx, "alice", testSecret, code); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("refuse_wrong_code", func(b *testing.B) {
		clock.Set(t0)
		tp := newTOTP(b, clock, mfa.Options{MaxFailures: 1 << 30, FailureWindow: time.Nanosecond})
		wrong := wrongCode(b, tp, testSecret, t0, 30*time.Second, 1)
		b.ReportAllocs()
		for b.Loop() {
			if err := tp.Verify(ctx, "alice", testSecret, wrong); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}

// BenchmarkVerifyRecoveryCode checks a code against ten stored hashes in
// constant time; the baseline hashes the code once and compares with one
// hash using ==.
func BenchmarkVerifyRecoveryCode(b *testing.B) {
	tp := newTOTP(b, newClock(t0), mfa.Options{})
	e, err := tp.Enroll("alice")
	if err != nil {
		b.Fatal(err)
	}
	code := e.RecoveryCodes[9]
	b.Run("baseline_hash_and_equal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if mfa.HashRecoveryCode(code) != e.RecoveryHashes[9] {
				b.Fatal("mismatch")
			}
		}
	})
	b.Run("verify_10_hashes", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := mfa.VerifyRecoveryCode(code, e.RecoveryHashes); err != nil {
				b.Fatal(err)
			}
		}
	})
}
