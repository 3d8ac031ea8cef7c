package rampart

import "errors"

// ErrConfig is the one configuration-error sentinel of the toolkit. Every
// constructor and option check of every Rampart package returns an error
// wrapping it, prefixed with the package that refused the value, such as
// "rampart: invalid configuration: gqlsec: CostLimit.Max = -2 (use
// Unlimited to turn it off)". Test for it with errors.Is(err,
// rampart.ErrConfig); it means "fix the configuration", never a runtime
// failure.
var ErrConfig = errors.New("rampart: invalid configuration")

// Unlimited, in a limit field of any Rampart package (gqlsec's operation
// limits, wssec's connection caps and timeouts, upload's sizes), turns that
// limit off. The zero value of such a field always means the documented
// default, never "no limit". Prefer a large limit to Unlimited: every limit
// stops a denial-of-service attack.
const Unlimited = -1

// GraphQL error codes (the "code" extension of an error) answered by more
// than one Rampart package. Codes only one package answers are declared in
// that package.
const (
	// CodeUnauthenticated: the operation needs a caller and there is none,
	// or its credential was refused (auth, directives, wssec).
	CodeUnauthenticated = "UNAUTHENTICATED"
	// CodeForbidden: the caller is known but not allowed.
	CodeForbidden = "FORBIDDEN"
	// CodeNotFound: the object does not exist, or the caller may not know
	// that it does.
	CodeNotFound = "NOT_FOUND"
	// CodeBadUserInput: an argument broke a constraint.
	CodeBadUserInput = "BAD_USER_INPUT"
	// CodeRateLimited: the caller is over its rate; retry later
	// (directives, httpsec).
	CodeRateLimited = "RATE_LIMITED"
	// CodeRateLimitUnavailable: the rate limiter's backend failed and the
	// limit fails closed (directives, httpsec).
	CodeRateLimitUnavailable = "RATE_LIMIT_UNAVAILABLE"
	// CodeMFARequired: the operation needs a recent second factor
	// (directives, mfa).
	CodeMFARequired = "MFA_REQUIRED"
	// CodeInternal: an internal error, masked (gqlsec, directives).
	CodeInternal = "INTERNAL_SERVER_ERROR"
	// CodeRequestTooLarge: the request body is over its limit (httpsec,
	// webhook).
	CodeRequestTooLarge = "REQUEST_TOO_LARGE"
)
