package mfa

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// Recovery code shape: 16 characters of the lower-case RFC 4648 base32
// alphabet (80 bits), shown in groups of four. 80 bits keep an unsalted
// SHA-256 safe: if the stored hashes leak, finding a code by brute force
// takes about 2^80 hash computations per code.
const (
	recoveryBytes  = 10 // 80 bits = 16 base32 characters
	recoveryChars  = 16
	recoveryGroup  = 4
	maxRecoveryLen = 64 // longest input considered, separators included
)

var recoveryEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newRecoveryCodes makes n codes and their hashes from r.
func newRecoveryCodes(r io.Reader, n int) (codes, hashes []string, err error) {
	if n == 0 {
		return nil, nil, nil
	}
	codes = make([]string, n)
	hashes = make([]string, n)
	raw := make([]byte, recoveryBytes)
	for i := range codes {
		if _, err := io.ReadFull(r, raw); err != nil {
			return nil, nil, fmt.Errorf("mfa: reading random recovery code: %w", err)
		}
		plain := recoveryEncoding.EncodeToString(raw)
		var b strings.Builder
		for j := 0; j < len(plain); j += recoveryGroup {
			if j > 0 {
				b.WriteByte('-')
			}
			b.WriteString(plain[j : j+recoveryGroup])
		}
		codes[i] = b.String()
		hashes[i] = HashRecoveryCode(codes[i])
	}
	return codes, hashes, nil
}

// HashRecoveryCode returns the hash stored for a recovery code: the
// lower-case hex SHA-256 of the code with separators and spaces removed and
// letters lower-cased, so that "ABCD EFGH-ijkl-mnop" and "abcd-efgh-ijkl-mnop"
// hash alike. Enroll calls it; it is exported to migrate codes made
// elsewhere.
func HashRecoveryCode(code string) string {
	sum := sha256.Sum256([]byte(normalizeRecoveryCode(code)))
	return hex.EncodeToString(sum[:])
}

func normalizeRecoveryCode(code string) string {
	var b strings.Builder
	b.Grow(recoveryChars)
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '-' || c == ' ':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// wellFormedRecoveryCode reports whether the normalized code has the shape
// Enroll makes.
func wellFormedRecoveryCode(norm string) bool {
	if len(norm) != recoveryChars {
		return false
	}
	for i := 0; i < len(norm); i++ {
		c := norm[i]
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// VerifyRecoveryCode checks code, as the user typed it (case, spaces and
// dashes do not matter), against the stored hashes and returns the index of
// the hash it matches. Every hash is compared, in constant time, whatever
// matches. The caller must delete hashes[index] (atomically, so that two
// concurrent uses of one code cannot both succeed) to make the code
// single-use; an empty string in hashes never matches. A code that matches
// nothing or is malformed gives -1 and ErrInvalidCode.
//
// VerifyRecoveryCode applies no attempt limit; (*TOTP).VerifyRecovery does.
func VerifyRecoveryCode(code string, hashes []string) (index int, err error) {
	if len(code) > maxRecoveryLen {
		return -1, ErrInvalidCode
	}
	norm := normalizeRecoveryCode(code)
	if !wellFormedRecoveryCode(norm) {
		return -1, ErrInvalidCode
	}
	sum := sha256.Sum256([]byte(norm))
	var want [2 * sha256.Size]byte
	hex.Encode(want[:], sum[:])
	index, found := -1, 0
	for i, h := range hashes {
		eq := subtle.ConstantTimeCompare([]byte(h), want[:])
		take := eq & (1 - found)
		index = subtle.ConstantTimeSelect(take, i, index)
		found |= eq
	}
	if found == 0 {
		return -1, ErrInvalidCode
	}
	return index, nil
}

// VerifyRecovery is VerifyRecoveryCode under the same per-subject attempt
// limit as Verify: each attempt spends one allowed failure, a success gives
// them back, and a locked-out subject gets a *TooManyAttemptsError without
// the code being checked.
func (t *TOTP) VerifyRecovery(ctx context.Context, subject, code string, hashes []string) (int, error) {
	if subject == "" || len(subject) > MaxSubjectBytes {
		return -1, fmt.Errorf("%w: want 1 to %d bytes", ErrInvalidSubject, MaxSubjectBytes)
	}
	d, err := t.lockout.Failure(ctx, limiterKey(subject))
	if err != nil {
		return -1, fmt.Errorf("%w: limiter: %w", ErrUnavailable, err)
	}
	if !d.Allowed {
		return -1, &TooManyAttemptsError{RetryAfter: d.RetryAfter}
	}
	i, err := VerifyRecoveryCode(code, hashes)
	if err != nil {
		return -1, err
	}
	t.succeeded(ctx, subject)
	return i, nil
}
