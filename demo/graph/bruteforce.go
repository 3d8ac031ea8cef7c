package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"math"
	"strings"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/rampart-go/rampart/httpsec"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/reqctx"
)

// CodeTooManyAttempts answers a login, registration or refresh refused by
// the brute-force guard.
const CodeTooManyAttempts = "TOO_MANY_ATTEMPTS"

// BruteForceGuard throttles credential endpoints twice: by client IP, so
// one client cannot spray many accounts, and by account, so many clients
// cannot hammer one. Failed attempts count; a success resets both keys. The
// refusal is the same whether or not the account exists.
type BruteForceGuard struct {
	// PerIP counts failures per client address.
	PerIP *ratelimit.Lockout
	// PerAccount counts failures per account: a SHA-256 of the lowercased
	// email, so that no address appears in limiter keys (Redis keys show in
	// MONITOR, SLOWLOG and backups).
	PerAccount *ratelimit.Lockout
	// Auditor records each refusal; nil records nothing.
	Auditor *httpsec.Auditor
	Logger  *slog.Logger
}

func (g *BruteForceGuard) keys(ctx context.Context, flow, account string) (ipKey, accountKey string) {
	ip := "unknown"
	if addr, ok := reqctx.ClientIP(ctx); ok {
		ip = addr.String()
	}
	ipKey = flow + ":ip:" + ip
	if account != "" {
		sum := sha256.Sum256([]byte(strings.ToLower(account)))
		accountKey = flow + ":acct:" + hex.EncodeToString(sum[:16])
	}
	return ipKey, accountKey
}

// check refuses when either key is locked out. A failing backend refuses
// too (fail closed), with the same answer.
func (g *BruteForceGuard) check(ctx context.Context, flow, account string) error {
	if g == nil {
		return nil
	}
	ipKey, accountKey := g.keys(ctx, flow, account)
	for _, k := range []struct {
		lo  *ratelimit.Lockout
		key string
	}{{g.PerIP, ipKey}, {g.PerAccount, accountKey}} {
		if k.lo == nil || k.key == "" {
			continue
		}
		d, err := k.lo.Check(ctx, k.key)
		if err != nil && !errors.Is(err, ratelimit.ErrBackend) {
			return err
		}
		if err != nil || !d.Allowed {
			g.Auditor.Reject(ctx, httpsec.RejectEvent{Code: CodeTooManyAttempts, Detail: "flow=" + flow})
			retry := int(math.Ceil(d.RetryAfter.Seconds()))
			return &gqlerror.Error{
				Message:    "too many attempts: try again later",
				Extensions: map[string]any{"code": CodeTooManyAttempts, "retryAfter": max(retry, 1)},
			}
		}
	}
	return nil
}

func (g *BruteForceGuard) failure(ctx context.Context, flow, account string) {
	if g == nil {
		return
	}
	ipKey, accountKey := g.keys(ctx, flow, account)
	if g.PerIP != nil {
		_, _ = g.PerIP.Failure(ctx, ipKey)
	}
	if g.PerAccount != nil && accountKey != "" {
		_, _ = g.PerAccount.Failure(ctx, accountKey)
	}
}

func (g *BruteForceGuard) success(ctx context.Context, flow, account string) {
	if g == nil {
		return
	}
	ipKey, accountKey := g.keys(ctx, flow, account)
	if g.PerIP != nil {
		_ = g.PerIP.Success(ctx, ipKey)
	}
	if g.PerAccount != nil && accountKey != "" {
		_ = g.PerAccount.Success(ctx, accountKey)
	}
}

func isInvalidCredentials(err error) bool {
	var ge *gqlerror.Error
	return errors.As(err, &ge) && ge.Extensions["code"] == CodeInvalidCredentials
}
