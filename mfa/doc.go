// Package mfa adds a second factor to a login: TOTP (RFC 6238, the codes of
// authenticator apps) with single-use codes and a brute-force limit,
// recovery codes, and the freshness check behind step-up authentication.
//
// The pieces:
//
//   - NewTOTP builds a TOTP verifier; its zero Options are the hardened
//     defaults (30-second steps, 6 digits, SHA-1 for app compatibility, one
//     step of clock skew, 5 failures per 15 minutes per subject).
//   - (*TOTP).Enroll makes a fresh 160-bit secret, the otpauth:// URL to show
//     as a QR code, and recovery codes returned once in plaintext together
//     with the SHA-256 hashes to store.
//   - (*TOTP).Verify checks a code in constant time, refuses a code already
//     used in its window (ErrCodeReused, through a UsedCodes store), and
//     refuses every attempt once a subject has failed too often
//     (ErrTooManyAttempts, with a retry-after).
//   - VerifyRecoveryCode and (*TOTP).VerifyRecovery check a recovery code
//     against the stored hashes; the caller deletes the hash that matched.
//   - Fresh and RequireFresh tell whether a Principal proved a second factor
//     recently enough for a sensitive operation (step-up), so that a
//     directive can refuse with rampart.CodeMFARequired.
//
// Errors are sentinels with stable codes (ErrorCode maps any error to the
// code and message a client may see). Nothing in this package keeps global
// state; the clock, the randomness, the limiter and the used-code store are
// injected through Options.
package mfa
