package mfa

import (
	"fmt"
	"time"

	"github.com/rampart-go/rampart/auth"
)

// Authentication method references (RFC 8176) that count as a second
// factor for Fresh. Put AMROTP in a Principal's AMR (and so in the access
// token's "amr" claim) when the login included a TOTP or recovery code.
const (
	AMROTP = "otp"
	AMRMFA = "mfa"
)

// authTimeLeeway is how far in the future an AuthTime may lie (clock
// differences between replicas) and still count; it matches the JWT leeway.
const authTimeLeeway = 30 * time.Second

// Fresh reports whether p proved a second factor (its AMR holds "otp" or
// "mfa") at most maxAge before now, judged by p.AuthTime. It is what a
// sensitive operation asks before it runs (step-up authentication): when
// Fresh is false, refuse with rampart.CodeMFARequired and let the client
// re-authenticate with a code.
//
// It fails closed: an anonymous p, a zero AuthTime, a maxAge of zero or
// less, or an AuthTime more than 30 seconds in the future (a clock or
// issuer fault) are not fresh. An AuthTime exactly maxAge old still is.
func Fresh(p *auth.Principal, maxAge time.Duration, now time.Time) bool {
	if p.Anonymous() || maxAge <= 0 || p.AuthTime.IsZero() {
		return false
	}
	if !p.HasAMR(AMROTP) && !p.HasAMR(AMRMFA) {
		return false
	}
	age := now.Sub(p.AuthTime)
	return age <= maxAge && age >= -authTimeLeeway
}

// RequireFresh returns nil when Fresh(p, maxAge, now) holds, and otherwise
// an error wrapping ErrMFARequired (ErrorCode gives rampart.CodeMFARequired).
func RequireFresh(p *auth.Principal, maxAge time.Duration, now time.Time) error {
	if Fresh(p, maxAge, now) {
		return nil
	}
	return fmt.Errorf("%w within %v", ErrMFARequired, maxAge)
}
