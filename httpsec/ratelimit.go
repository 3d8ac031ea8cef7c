package httpsec

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/reqctx"
	"github.com/rampart-go/rampart/telemetry"
)

// Defaults of RateLimitOptions.
const (
	// DefaultRetryAfterUnavailable is the Retry-After sent with 503 when
	// the limiter's backend fails.
	DefaultRetryAfterUnavailable = 5 * time.Second
	// DefaultRateLimitPrefix namespaces the limiter keys.
	DefaultRateLimitPrefix = "http:"
)

// DefaultAnonymousRate is the rate of callers without a principal, keyed by
// client IP: 60 requests per minute, burst 60.
func DefaultAnonymousRate() ratelimit.Rate { return ratelimit.PerMinute(60) }

// DefaultAuthenticatedRate is the rate of authenticated callers holding no
// role listed in RateLimitOptions.Roles: 600 per minute, burst 600.
func DefaultAuthenticatedRate() ratelimit.Rate { return ratelimit.PerMinute(600) }

// RateLimitOptions configures RateLimit. The zero value applies
// DefaultAnonymousRate and DefaultAuthenticatedRate.
type RateLimitOptions struct {
	// Anonymous is the rate per client IP for callers without a principal.
	// Zero means DefaultAnonymousRate.
	Anonymous ratelimit.Rate
	// Authenticated is the rate per subject for authenticated callers.
	// Zero means DefaultAuthenticatedRate.
	Authenticated ratelimit.Rate
	// Roles gives the rate of callers holding a role ("ADMIN": a higher
	// tier). A caller holding several listed roles gets the most generous
	// of their rates (highest Limit/Period); one holding none gets
	// Authenticated.
	Roles map[string]ratelimit.Rate
	// Cost is the tokens one request spends; zero means 1.
	Cost int
	// KeyPrefix namespaces keys in a shared limiter; zero means
	// DefaultRateLimitPrefix. Keys are prefix+"user:"+subject or
	// prefix+"ip:"+address.
	KeyPrefix string
	// RetryAfterUnavailable is sent as Retry-After with 503 when the
	// limiter fails; zero means DefaultRetryAfterUnavailable.
	RetryAfterUnavailable time.Duration
	// Auditor records each refusal; nil records nothing.
	Auditor *Auditor
	// Mode: the zero value rampart.Enforce refuses; rampart.Measure spends
	// tokens as usual but lets a request over its rate (or one the
	// limiter failed on) through, counted (outcome "measured") and
	// audited; rampart.Off skips the limiter.
	Mode rampart.Mode
	// Telemetry counts refusals (guard telemetry.GuardRateLimit) and every
	// decision by backend (ratelimit.BackendName). Nil records nothing.
	Telemetry *telemetry.Instruments
}

// RateLimit returns middleware that spends Cost tokens of the caller's
// bucket in l before calling the next handler. It must run after
// auth.Middleware (and after ClientIP), so that the caller is known:
//
//   - an authenticated caller (auth.PrincipalFrom) is keyed by its
//     subject, at the rate of its tier (Roles, else Authenticated);
//   - anyone else is keyed by reqctx.ClientIP, or by r.RemoteAddr's host when
//     ClientIP did not run, at the Anonymous rate.
//
// Every response gets RateLimit-Limit, RateLimit-Remaining and
// RateLimit-Reset (ratelimit.WriteHeaders). A refused request gets 429,
// Retry-After and rampart.CodeRateLimited. If l fails (an error, such as one
// wrapping ratelimit.ErrBackend), the request is refused — fail closed —
// with 503, Retry-After and rampart.CodeRateLimitUnavailable; the client never sees
// the error. The returned error wraps rampart.ErrConfig.
func RateLimit(l ratelimit.Limiter, opts RateLimitOptions) (func(http.Handler) http.Handler, error) {
	if l == nil {
		return nil, fmt.Errorf("%w: httpsec: rate limit: nil Limiter", rampart.ErrConfig)
	}
	anon, err := rateOrDefault("Anonymous", opts.Anonymous, DefaultAnonymousRate())
	if err != nil {
		return nil, err
	}
	authd, err := rateOrDefault("Authenticated", opts.Authenticated, DefaultAuthenticatedRate())
	if err != nil {
		return nil, err
	}
	type roleRate struct {
		role string
		rate ratelimit.Rate
	}
	roles := make([]roleRate, 0, len(opts.Roles))
	for role, rt := range opts.Roles {
		if role == "" {
			return nil, fmt.Errorf("%w: httpsec: rate limit: empty role name", rampart.ErrConfig)
		}
		if err := checkRate("Roles["+role+"]", rt); err != nil {
			return nil, err
		}
		roles = append(roles, roleRate{role, rt})
	}
	cost := opts.Cost
	switch {
	case cost < 0:
		return nil, fmt.Errorf("%w: httpsec: rate limit: negative Cost", rampart.ErrConfig)
	case cost == 0:
		cost = 1
	}
	for _, r := range append([]roleRate{{"", anon}, {"", authd}}, roles...) {
		if cost > burst(r.rate) {
			return nil, fmt.Errorf("%w: httpsec: rate limit: Cost %d exceeds a burst of %d: every request would be refused", rampart.ErrConfig, cost, burst(r.rate))
		}
	}
	prefix := opts.KeyPrefix
	if prefix == "" {
		prefix = DefaultRateLimitPrefix
	}
	retry := opts.RetryAfterUnavailable
	switch {
	case retry < 0:
		return nil, fmt.Errorf("%w: httpsec: rate limit: negative RetryAfterUnavailable", rampart.ErrConfig)
	case retry == 0:
		retry = DefaultRetryAfterUnavailable
	}
	retryUnavailable := strconv.FormatInt(int64((retry+time.Second-1)/time.Second), 10)
	limited := errorJSON(rampart.CodeRateLimited, "Too many requests: slow down and retry after the number of seconds in the Retry-After header.")
	unavailable := errorJSON(rampart.CodeRateLimitUnavailable, "The service cannot check request limits right now; retry after the number of seconds in the Retry-After header.")
	audit := opts.Auditor
	if err := checkMode("rate limit", opts.Mode); err != nil {
		return nil, err
	}
	if opts.Mode == rampart.Off {
		return func(next http.Handler) http.Handler { return next }, nil
	}
	g := guard{name: telemetry.GuardRateLimit, mode: opts.Mode, ins: opts.Telemetry, audit: audit}
	backend := ratelimit.BackendName(l)

	rateFor := func(p *auth.Principal) ratelimit.Rate {
		best, found := authd, false
		for _, rr := range roles {
			if p.HasRole(rr.role) && (!found || faster(rr.rate, best)) {
				best, found = rr.rate, true
			}
		}
		return best
	}

	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			var key string
			rate := anon
			if p, ok := auth.PrincipalFrom(ctx); ok {
				key = prefix + "user:" + p.Subject
				rate = rateFor(p)
			} else if ip, ok := reqctx.ClientIP(ctx); ok {
				key = prefix + "ip:" + ip.String()
			} else {
				key = prefix + "ip:" + peerHost(r.RemoteAddr)
			}
			d, err := l.Allow(ctx, key, rate, cost)
			if err != nil {
				g.ins.RateLimit(ctx, g.name, backend, telemetry.DecisionError)
				if g.refuse(r, rampart.CodeRateLimitUnavailable, http.StatusServiceUnavailable, "limiter error") {
					w.Header().Set("Retry-After", retryUnavailable)
					writeError(w, r, http.StatusServiceUnavailable, unavailable)
					return
				}
				next.ServeHTTP(w, r)
				return
			}
			if !d.Allowed {
				g.ins.RateLimit(ctx, g.name, backend, telemetry.DecisionRefused)
				if g.refuse(r, rampart.CodeRateLimited, http.StatusTooManyRequests,
					"limit="+strconv.Itoa(rate.Limit)+" period="+rate.Period.String()) {
					ratelimit.WriteHeaders(w.Header(), d)
					writeError(w, r, http.StatusTooManyRequests, limited)
					return
				}
				next.ServeHTTP(w, r)
				return
			}
			g.ins.RateLimit(ctx, g.name, backend, telemetry.DecisionAllowed)
			ratelimit.WriteHeaders(w.Header(), d)
			next.ServeHTTP(w, r)
		})
	}, nil
}

func rateOrDefault(name string, r, def ratelimit.Rate) (ratelimit.Rate, error) {
	if r == (ratelimit.Rate{}) {
		return def, nil
	}
	return r, checkRate(name, r)
}

func checkRate(name string, r ratelimit.Rate) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("%w: httpsec: rate limit: %s: %w", rampart.ErrConfig, name, err)
	}
	return nil
}

func burst(r ratelimit.Rate) int {
	if r.Burst == 0 {
		return r.Limit
	}
	return r.Burst
}

// faster reports whether a refills faster than b (a.Limit/a.Period >
// b.Limit/b.Period), ties broken by burst.
func faster(a, b ratelimit.Rate) bool {
	// Compare a.Limit*b.Period with b.Limit*a.Period in float64 to avoid
	// overflow; exactness does not matter for choosing a tier.
	x := float64(a.Limit) * float64(b.Period)
	y := float64(b.Limit) * float64(a.Period)
	if x != y {
		return x > y
	}
	return burst(a) > burst(b)
}
