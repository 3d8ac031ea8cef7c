package mfa_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/mfa"
)

// FuzzVerify: any string as a code never panics; only a string of exactly
// six ASCII digits that is the code of an accepted time step can pass; every
// refusal is ErrInvalidCode (possibly a replay) and maps to MFA_INVALID.
func FuzzVerify(f *testing.F) {
	clock := newClock(t0)
	tp := newTOTP(f, clock, mfa.Options{MaxFailures: 1 << 30, FailureWindow: time.Hour})
	valid := map[string]bool{}
	for i := -1; i <= 1; i++ {
		valid[codeAt(f, tp, testSecret, t0.Add(time.Duration(i)*30*time.Second))] = true
	}
	for c := range valid {
		f.Add(c)
		f.Add(" " + c)
		f.Add(c[:3] + "-" + c[3:])
	}
	for _, seed := range []string{"", "000000", "12345", "1234567", "１２３４５６", "12345a", "\x00\x00\x00\x00\x00\x00", strings.Repeat("9", 100)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, code string) {
		err := tp.Verify(context.Background(), "alice", testSecret, code)
		if err == nil {
			if len(code) != 6 || strings.Trim(code, "0123456789") != "" || !valid[code] {
				t.Fatalf("accepted %q", code)
			}
			return
		}
		if !errors.Is(err, mfa.ErrInvalidCode) {
			t.Fatalf("Verify(%q) = %v, want ErrInvalidCode", code, err)
		}
		if c, _ := mfa.ErrorCode(err); c != mfa.CodeMFAInvalid {
			t.Fatalf("code %q", c)
		}
		if errors.Is(err, mfa.ErrCodeReused) && !valid[code] {
			t.Fatalf("%q reported as reused but never valid", code)
		}
	})
}

// FuzzVerifyRecoveryCode: no panic; a match is a code that normalises to
// the stored one; a refusal gives -1 and ErrInvalidCode.
func FuzzVerifyRecoveryCode(f *testing.F) {
	const code = "abcd-efgh-ijkl-mn23"
	hashes := []string{"", mfa.HashRecoveryCode("zzzz-zzzz-zzzz-zzzz"), mfa.HashRecoveryCode(code)}
	for _, seed := range []string{code, strings.ToUpper(code), "abcdefghijklmn23", "abcd efgh ijkl mn23", "", "abcd-efgh-ijkl-mn24", hashes[1], code + strings.Repeat("-", 64), "ａbcd-efgh-ijkl-mn23"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		i, err := mfa.VerifyRecoveryCode(in, hashes)
		if err != nil {
			if i != -1 || !errors.Is(err, mfa.ErrInvalidCode) {
				t.Fatalf("refusal of %q = %d, %v", in, i, err)
			}
			return
		}
		norm := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(in))
		switch {
		case i == 2 && norm == "abcdefghijklmn23":
		case i == 1 && norm == "zzzzzzzzzzzzzzzz":
		default:
			t.Fatalf("%q matched hash %d", in, i)
		}
	})
}
