package mfa

import (
	"errors"
	"fmt"
	"time"

	"github.com/rampart-go/rampart"
)

// Stable codes sent to clients in a GraphQL error's extensions.code.
const (
	// CodeMFAInvalid: the code (TOTP or recovery) is wrong, malformed or
	// already used. Which of these is never said.
	CodeMFAInvalid = "MFA_INVALID"
	// CodeTooManyAttempts: the subject failed too often; retry after the
	// delay given.
	CodeTooManyAttempts = "MFA_TOO_MANY_ATTEMPTS"
	// CodeMFAUnavailable: the code could not be checked because a backend
	// (limiter, used-code store) failed, or the stored secret is unusable.
	// The request fails closed.
	CodeMFAUnavailable = "MFA_UNAVAILABLE"
)

// Messages sent to clients with the codes above. They never say why.
const (
	MessageMFAInvalid      = "invalid verification code"
	MessageMFARequired     = "this operation requires a recent second-factor authentication"
	MessageTooManyAttempts = "too many failed verification attempts, try again later"
	MessageMFAUnavailable  = "verification temporarily unavailable"
)

var (
	// ErrInvalidCode means the code is wrong or malformed. A reused code is
	// also ErrInvalidCode (and ErrCodeReused).
	ErrInvalidCode = errors.New("mfa: invalid code")
	// ErrCodeReused means a correct TOTP code was presented again within its
	// window: a replay (RFC 6238, section 5.2). It is always wrapped
	// together with ErrInvalidCode.
	ErrCodeReused = errors.New("mfa: code already used")
	// ErrTooManyAttempts means the subject is locked out after too many
	// failures. It is always inside a *TooManyAttemptsError carrying the
	// delay before the next attempt.
	ErrTooManyAttempts = errors.New("mfa: too many attempts")
	// ErrMFARequired means a recent second-factor authentication is needed
	// (see RequireFresh).
	ErrMFARequired = errors.New("mfa: recent second-factor authentication required")
	// ErrUnavailable wraps a backend failure (limiter or UsedCodes store):
	// the code was not checked, and the attempt is refused.
	ErrUnavailable = errors.New("mfa: verification unavailable")
	// ErrInvalidSecret means a stored secret is not unpadded base32 of at
	// least 128 bits: a storage or migration fault, not the user's.
	ErrInvalidSecret = errors.New("mfa: invalid secret")
	// ErrInvalidSubject means Verify was called with an empty subject or one
	// longer than MaxSubjectBytes: a programming error.
	ErrInvalidSubject = errors.New("mfa: invalid subject")
	// ErrInvalidAccount means Enroll was given an empty account name, one
	// holding a colon, or one that is not valid UTF-8 or too long.
	ErrInvalidAccount = errors.New("mfa: invalid account name")
	// ErrUsedCodesFull is returned by MemoryUsedCodes when it holds
	// MaxEntries live entries: it refuses rather than forget one, since
	// forgetting would reopen a replay.
	ErrUsedCodesFull = errors.New("mfa: used-code store full")
)

// TooManyAttemptsError is the error of an attempt refused because the
// subject failed too often. errors.Is(err, ErrTooManyAttempts) holds.
type TooManyAttemptsError struct {
	// RetryAfter is how long until one more attempt will be allowed.
	RetryAfter time.Duration
}

// Error says that attempts are throttled and for how long.
func (e *TooManyAttemptsError) Error() string {
	return fmt.Sprintf("%v: retry after %v", ErrTooManyAttempts, e.RetryAfter)
}

// Unwrap makes errors.Is(err, ErrTooManyAttempts) hold.
func (e *TooManyAttemptsError) Unwrap() error { return ErrTooManyAttempts }

// RetryAfter returns the delay carried by a *TooManyAttemptsError in err's
// chain, for a Retry-After header.
func RetryAfter(err error) (time.Duration, bool) {
	var e *TooManyAttemptsError
	if errors.As(err, &e) {
		return e.RetryAfter, true
	}
	return 0, false
}

// ErrorCode returns the stable code and the safe message a client may see
// for an error from this package. A nil error gives empty strings. Any error
// it does not know (a backend failure, an invalid stored secret) gives
// CodeMFAUnavailable: detail belongs in the logs, not the response.
func ErrorCode(err error) (code, message string) {
	switch {
	case err == nil:
		return "", ""
	case errors.Is(err, ErrTooManyAttempts):
		return CodeTooManyAttempts, MessageTooManyAttempts
	case errors.Is(err, ErrMFARequired):
		return rampart.CodeMFARequired, MessageMFARequired
	case errors.Is(err, ErrInvalidCode):
		return CodeMFAInvalid, MessageMFAInvalid
	default:
		return CodeMFAUnavailable, MessageMFAUnavailable
	}
}
