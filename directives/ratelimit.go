package directives

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/reqctx"
	"github.com/rampart-go/rampart/telemetry"
)

// Values of @rateLimit(by:).
const (
	// RateLimitByCaller keys the bucket by the authenticated subject, or by
	// the client IP for an anonymous caller. It is the default.
	RateLimitByCaller = "CALLER"
	// RateLimitByIP keys the bucket by the client IP even for authenticated
	// callers (for example sign-up, where a subject does not exist yet, or
	// where one person holds many accounts).
	RateLimitByIP = "IP"
)

// DefaultRateLimitPrefix namespaces the keys @rateLimit gives the limiter
// when Options.RateLimitPrefix is empty.
const DefaultRateLimitPrefix = "field:"

// unknownIP stands for the address of a caller whose client IP is not in
// the context (httpsec.ClientIP did not run): all such callers share one
// bucket, so the limit still holds, collectively.
const unknownIP = "unknown"

// rateRule is one compiled @rateLimit.
type rateRule struct {
	rate    ratelimit.Rate
	byIP    bool
	keyBase string // prefix + "Type.field:"
	limit   int
	window  string // as written in the schema, for the client
}

// RateLimit implements @rateLimit(limit: Int!, window: String!, by: String =
// "CALLER") on field definitions, for fields whose abuse hurts the business
// (sign-up, posting, following: OWASP API6) or whose resolver is costly.
//
// Each resolution of the field spends one token of the caller's bucket in
// Options.Limiter: a token bucket that holds limit tokens and refills at
// limit per window, so a caller may make limit calls at once and then one
// every window/limit. Every resolution counts: three aliases of a mutation
// spend three tokens, and a @rateLimit on a field of a list item spends one
// per item. The bucket is keyed by Type.field and by the caller (see
// RateLimitByCaller, RateLimitByIP); other callers and other fields are
// unaffected. The client IP comes from reqctx.ClientIP.
//
// A refused call gets rampart.CodeRateLimited with extensions.retryAfter (whole
// seconds, at least 1), extensions.limit and extensions.window; the resolver
// does not run. A failing limiter refuses with rampart.CodeRateLimitUnavailable
// unless Options.RateLimitOnFailure is ratelimit.FailOpen.
//
// The arguments are read once, by Validate, which rejects a limit below 1, a
// window that is not a positive Go duration ("30s", "1m", "24h"), an unknown
// by, and a schema that uses @rateLimit without Options.Limiter.
//
// gqlgen runs the last directive written on a field first: write @rateLimit
// last (`@auth @rateLimit(...)`) so that it runs before @auth, @stepUp and
// @owner lookups, counting refused attempts too and keeping a throttled
// caller from reaching the lookup's database.
func (d *Directives) RateLimit(ctx context.Context, obj any, next graphql.Resolver, limit int, window string, by *string) (any, error) {
	c := d.state.Load()
	if c == nil {
		return nil, d.notInstalled(ctx)
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil, d.internal(ctx, "@rateLimit without a field context", fmt.Errorf("%w: directives: no field context", rampart.ErrConfig))
	}
	rule := c.policy(fc).rate
	if rule == nil {
		return nil, d.internal(ctx, "@rateLimit on a field Validate did not see", fmt.Errorf("%w: directives: %s.%s", rampart.ErrConfig, fc.Object, fc.Field.Name))
	}
	if d.rlMode == rampart.Off {
		return next(ctx)
	}
	p := d.principal(ctx)
	dec, err := d.limiter.Allow(ctx, rateKey(ctx, rule, p), rule.rate, 1)
	if d.ins != nil {
		decision := telemetry.DecisionAllowed
		switch {
		case err != nil:
			decision = telemetry.DecisionError
		case !dec.Allowed:
			decision = telemetry.DecisionRefused
		}
		d.ins.RateLimit(ctx, telemetry.GuardFieldRateLimit, ratelimit.BackendName(d.limiter), decision)
	}
	if err != nil {
		d.limiterFailed(ctx, fc, err)
		if d.rlFailOpen {
			return next(ctx)
		}
		return nil, errRateLimitUnavailable()
	}
	if !dec.Allowed {
		d.deny(ctx, p, rampart.CodeRateLimited, "rate limit "+strconv.Itoa(rule.limit)+" per "+rule.window)
		if d.rlMode == rampart.Measure {
			return next(ctx) // counted and logged as measured by deny
		}
		retry := ceilSeconds(dec.RetryAfter)
		return nil, clientError(rampart.CodeRateLimited,
			"too many requests to "+fc.Field.Name+": retry after "+strconv.Itoa(retry)+" seconds",
			ErrRateLimited, "retryAfter", retry, "limit", rule.limit, "window", rule.window)
	}
	return next(ctx)
}

// rateKey returns prefix + "Type.field:" + ("user:" + subject | "ip:" +
// address) with a single allocation.
func rateKey(ctx context.Context, rule *rateRule, p *auth.Principal) string {
	var buf [128]byte
	b := append(buf[:0], rule.keyBase...)
	if p != nil && !rule.byIP {
		b = append(b, "user:"...)
		b = append(b, p.Subject...)
		return string(b)
	}
	b = append(b, "ip:"...)
	if ip, ok := reqctx.ClientIP(ctx); ok && ip.IsValid() {
		b = ip.AppendTo(b)
	} else {
		b = append(b, unknownIP...)
	}
	return string(b)
}

// limiterFailed logs a limiter failure at most once a second, so that an
// outage of a shared store does not flood the log.
func (d *Directives) limiterFailed(ctx context.Context, fc *graphql.FieldContext, err error) {
	now := d.now().UnixNano()
	last := d.rlLastLog.Load()
	if now-last < int64(time.Second) || !d.rlLastLog.CompareAndSwap(last, now) {
		return
	}
	mode := ratelimit.FailClosed
	if d.rlFailOpen {
		mode = ratelimit.FailOpen
	}
	d.log.LogAttrs(ctx, slog.LevelError, "directives: rate limiter failed",
		slog.Any("error", err), slog.String("mode", mode.String()),
		slog.String("field", fc.Object+"."+fc.Field.Name))
}

// compileRateLimit reads one @rateLimit.
func (d *Directives) compileRateLimit(where string, dir *ast.Directive) (*rateRule, error) {
	fail := func(format string, args ...any) (*rateRule, error) {
		return nil, fmt.Errorf("%w: directives: %s: @rateLimit: %s", rampart.ErrConfig, where, fmt.Sprintf(format, args...))
	}
	if d.limiter == nil {
		return fail("Options.Limiter is nil (use ratelimit.NewMemory or redisrl.New)")
	}
	limit, ok, err := intArg(dir, "limit")
	if err != nil {
		return fail("%v", err)
	}
	if !ok || limit < 1 || limit > 1<<31-1 {
		return fail("limit %d must be between 1 and 2147483647", limit)
	}
	window, _, err := stringArg(dir, "window")
	if err != nil {
		return fail("%v", err)
	}
	period, err := time.ParseDuration(window)
	if err != nil || period <= 0 {
		return fail("window %q must be a positive Go duration such as \"30s\", \"1m\" or \"1h\"", window)
	}
	by, ok, err := stringArg(dir, "by")
	if err != nil {
		return fail("%v", err)
	}
	if !ok {
		by = RateLimitByCaller
	}
	if by != RateLimitByCaller && by != RateLimitByIP {
		return fail("by %q must be %q or %q", by, RateLimitByCaller, RateLimitByIP)
	}
	rule := &rateRule{
		rate:    ratelimit.Rate{Limit: int(limit), Period: period},
		byIP:    by == RateLimitByIP,
		keyBase: d.rlPrefix + where + ":",
		limit:   int(limit),
		window:  window,
	}
	if err := rule.rate.Validate(); err != nil {
		return fail("%v", err)
	}
	return rule, nil
}
