package mfa_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/mfa"
	"github.com/rampart-go/rampart/ratelimit"
)

// TestRecoveryCodeWorksOnce: a recovery code matches its hash; once the
// caller deletes that hash, the code is refused.
func TestRecoveryCodeWorksOnce(t *testing.T) {
	t.Parallel()
	tp := newTOTP(t, newClock(t0), mfa.Options{RecoveryCodes: 3})
	e, err := tp.Enroll("alice")
	if err != nil {
		t.Fatal(err)
	}
	hashes := e.RecoveryHashes
	i, err := mfa.VerifyRecoveryCode(e.RecoveryCodes[1], hashes)
	if err != nil || i != 1 {
		t.Fatalf("first use = %d, %v; want 1", i, err)
	}
	hashes[i] = "" // what the caller's store does: delete the used hash
	if i, err := mfa.VerifyRecoveryCode(e.RecoveryCodes[1], hashes); !errors.Is(err, mfa.ErrInvalidCode) || i != -1 {
		t.Fatalf("second use = %d, %v; want -1, ErrInvalidCode", i, err)
	}
	// The others still work.
	if i, err := mfa.VerifyRecoveryCode(e.RecoveryCodes[2], hashes); err != nil || i != 2 {
		t.Fatalf("other code = %d, %v", i, err)
	}
}

// TestVerifyRecoveryCodeInput: how the user types the code does not matter;
// anything else is refused.
func TestVerifyRecoveryCodeInput(t *testing.T) {
	t.Parallel()
	const code = "abcd-efgh-ijkl-mn23"
	hashes := []string{mfa.HashRecoveryCode("zzzz-zzzz-zzzz-zzzz"), mfa.HashRecoveryCode(code)}
	tests := []struct {
		name, input string
		ok          bool
	}{
		{"as_shown", code, true},
		{"upper_case", strings.ToUpper(code), true},
		{"no_dashes", "abcdefghijklmn23", true},
		{"spaces", "abcd efgh ijkl mn23", true},
		{"one_char_wrong", "abcd-efgh-ijkl-mn24", false},
		{"one_char_short", "abcd-efgh-ijkl-mn2", false},
		{"one_char_long", "abcd-efgh-ijkl-mn233", false},
		{"non_base32_digit", "abcd-efgh-ijkl-mn18", false},
		{"empty", "", false},
		{"hash_itself", hashes[1], false},
		{"dash_padding_past_limit", code + strings.Repeat("-", 64), false},
		{"unicode", "ａbcd-efgh-ijkl-mn23", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			i, err := mfa.VerifyRecoveryCode(tt.input, hashes)
			if (err == nil) != tt.ok {
				t.Fatalf("VerifyRecoveryCode(%q) = %d, %v; want ok=%v", tt.input, i, err, tt.ok)
			}
			if tt.ok && i != 1 {
				t.Fatalf("index %d, want 1", i)
			}
			if !tt.ok && (i != -1 || !errors.Is(err, mfa.ErrInvalidCode)) {
				t.Fatalf("refusal = %d, %v", i, err)
			}
		})
	}
	if _, err := mfa.VerifyRecoveryCode(code, nil); !errors.Is(err, mfa.ErrInvalidCode) {
		t.Errorf("no hashes: %v", err)
	}
}

// TestVerifyRecoveryThrottled: recovery codes share the subject's attempt
// budget with TOTP codes.
func TestVerifyRecoveryThrottled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tp := newTOTP(t, newClock(t0), mfa.Options{})
	e, err := tp.Enroll("alice")
	if err != nil {
		t.Fatal(err)
	}
	for range ratelimit.DefaultMaxFailures - 1 {
		if _, err := tp.VerifyRecovery(ctx, "alice", "aaaa-aaaa-aaaa-aaaa", e.RecoveryHashes); !errors.Is(err, mfa.ErrInvalidCode) {
			t.Fatalf("wrong recovery code: %v", err)
		}
	}
	wrong := wrongCode(t, tp, testSecret, t0, 30e9, 1)
	if err := tp.Verify(ctx, "alice", testSecret, wrong); !errors.Is(err, mfa.ErrInvalidCode) {
		t.Fatalf("fifth failure: %v", err)
	}
	if _, err := tp.VerifyRecovery(ctx, "alice", e.RecoveryCodes[0], e.RecoveryHashes); !errors.Is(err, mfa.ErrTooManyAttempts) {
		t.Fatalf("sixth attempt with a right code: %v, want ErrTooManyAttempts", err)
	}
	if i, err := tp.VerifyRecovery(ctx, "bob", e.RecoveryCodes[0], e.RecoveryHashes); err != nil || i != 0 {
		t.Fatalf("other subject: %d, %v", i, err)
	}
	if _, err := tp.VerifyRecovery(ctx, "", e.RecoveryCodes[0], e.RecoveryHashes); !errors.Is(err, mfa.ErrInvalidSubject) {
		t.Fatalf("empty subject: %v", err)
	}
}
