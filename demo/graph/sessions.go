package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/demo/graph/model"
	"github.com/rampart-go/rampart/demo/graph/store"
	"github.com/rampart-go/rampart/wssec"
)

// Causes of session events, sent to clients in the close reason
// ("session revoked: " + cause).
const (
	CauseLogout        = "logout"
	CauseRoleChange    = "role change"
	CauseRevoked       = "revoked by an administrator"
	CauseRefreshReuse  = "refresh token reuse"
	CausePasswordReset = "password change"
)

// Cutoffs records, per subject, when all its sessions were revoked: access
// tokens issued at or before that second are refused. Entries may lapse
// once every token issued before them has expired.
type Cutoffs interface {
	// Cut records at as subject's cutoff (a later cutoff is never replaced
	// by an earlier one), to be kept until until.
	Cut(ctx context.Context, subject string, at, until time.Time) error
	// Cutoff returns subject's cutoff, or the zero time.
	Cutoff(ctx context.Context, subject string) (time.Time, error)
}

// MemoryCutoffs is Cutoffs in one process. The zero value is ready.
type MemoryCutoffs struct {
	mu sync.Mutex
	m  map[string]time.Time
}

// Cut implements Cutoffs.
func (c *MemoryCutoffs) Cut(_ context.Context, subject string, at, _ time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]time.Time{}
	}
	if at.After(c.m[subject]) {
		c.m[subject] = at
	}
	return nil
}

// Cutoff implements Cutoffs.
func (c *MemoryCutoffs) Cutoff(_ context.Context, subject string) (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[subject], nil
}

// Sessions is the demo's live session control. Revocations (logout, a role
// change, an administrator's revokeSessions, refresh-token reuse) are
// recorded in the stores that stay the source of truth (the JWT denylist,
// the users table, Cutoffs) and published on Bus, which closes the
// subject's live WebSockets on every replica. Check re-validates a
// Principal against those stores; Current answers per-event
// re-authorization of subscriptions from a short cache that the bus's
// events invalidate.
type Sessions struct {
	Store *store.Store
	Bus   wssec.SessionBus
	// Live is this replica's registry of WebSocket connections.
	Live    *wssec.Sessions
	Cutoffs Cutoffs
	// TokenLifetime is the access tokens' lifetime: a token was issued at
	// ExpiresAt - TokenLifetime, and a cutoff may lapse after it.
	TokenLifetime time.Duration
	// RefreshLifetime is how long a refresh-token family may live: a
	// cutoff is kept that long too, so that refresh tokens issued before it
	// stay refused (CheckIssued). Zero keeps cutoffs for TokenLifetime only.
	RefreshLifetime time.Duration
	// CacheTTL bounds how long a user's role is answered from the cache
	// when no event says it changed (while the bus is down). Zero means 1s.
	CacheTTL time.Duration
	Logger   *slog.Logger
	Now      func() time.Time

	mu    sync.Mutex
	roles map[string]cachedRole
}

type cachedRole struct {
	role   model.Role
	cutoff time.Time
	until  time.Time
}

// Publish sends ev on the bus. A failure is logged, not returned: the
// revocation is already in the stores, where every replica's resync finds
// it once the bus is back.
func (s *Sessions) Publish(ctx context.Context, ev wssec.SessionEvent) {
	s.forget(ev.Subject)
	if s.Bus == nil {
		if s.Live != nil {
			s.Live.Revoke(ev)
		}
		return
	}
	if err := s.Bus.Publish(context.WithoutCancel(ctx), ev); err != nil {
		s.log().WarnContext(ctx, "session event not published; replicas will find it when they resync", "cause", ev.Cause, "err", err)
		if s.Live != nil {
			s.Live.Revoke(ev) // this replica at least
		}
	}
}

// RevokeSubject revokes every session of subject issued up to now (the
// cutoff) and publishes the event. It fails only when the cutoff cannot be
// recorded.
func (s *Sessions) RevokeSubject(ctx context.Context, subject, cause string) error {
	if err := s.Cut(ctx, subject); err != nil {
		return err
	}
	s.Publish(ctx, wssec.SessionEvent{Subject: subject, Cause: cause})
	return nil
}

// Cut records now as subject's cutoff without publishing an event: every
// token of subject issued until this second is refused from now on.
// RevokeSubject calls it; a password change calls it once more after the
// new hash is stored, so that a login that verified the old password
// before the change cannot keep a token issued after the first cutoff.
func (s *Sessions) Cut(ctx context.Context, subject string) error {
	now := s.now()
	keep := max(s.TokenLifetime, s.RefreshLifetime) + time.Minute
	if err := s.Cutoffs.Cut(ctx, subject, now, now.Add(keep)); err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	return nil
}

// CheckIssued reports whether a credential of subject issued at issued
// (a refresh token) outlived a revocation of subject's sessions: an error
// wrapping auth.ErrRevoked when issued is at or before the cutoff (whole
// seconds, as for access tokens), one wrapping auth.ErrUnavailable when
// the cutoff cannot be read.
func (s *Sessions) CheckIssued(ctx context.Context, subject string, issued time.Time) error {
	cutoff, err := s.Cutoffs.Cutoff(ctx, subject)
	if err != nil {
		return fmt.Errorf("session: %w: %w", auth.ErrUnavailable, err)
	}
	if !cutoff.IsZero() && issued.Unix() <= cutoff.Unix() {
		return fmt.Errorf("session: %w: sessions revoked", auth.ErrRevoked)
	}
	return nil
}

// AwaitNewSecond is called before an access token is issued for subject:
// when subject's sessions were revoked in the current second, it waits
// (at most a second, or until ctx ends) for the next one, because JWT
// times are whole seconds and every token issued in the cutoff's second
// counts as revoked.
func (s *Sessions) AwaitNewSecond(ctx context.Context, subject string) error {
	cutoff, err := s.Cutoffs.Cutoff(ctx, subject)
	if err != nil {
		return fmt.Errorf("session: %w: %w", auth.ErrUnavailable, err)
	}
	now := s.now()
	if cutoff.IsZero() || now.Unix() > cutoff.Unix() {
		return nil
	}
	wait := time.Unix(cutoff.Unix()+1, 0).Sub(now)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Listen follows the bus until ctx is done: events invalidate the role
// cache and close the sockets they name; each (re)connection of the bus
// clears the cache and re-checks every live socket (Check).
func (s *Sessions) Listen(ctx context.Context) error {
	return s.Bus.Listen(ctx, func(ev wssec.SessionEvent) {
		s.forget(ev.Subject)
		s.Live.Revoke(ev)
	}, func() {
		s.mu.Lock()
		s.roles = nil
		s.mu.Unlock()
		s.Live.Recheck(ctx, s.Check)
	})
}

// Check reports whether p's session is still valid, reading the stores
// (no cache): an error wrapping auth.ErrRevoked when an administrator
// revoked its sessions after it was issued, its role changed, or its user
// is gone; one wrapping auth.ErrUnavailable when a store cannot answer.
func (s *Sessions) Check(ctx context.Context, p *auth.Principal) error {
	role, cutoff, err := s.lookup(ctx, p.Subject)
	if err != nil {
		return err
	}
	return s.valid(p, role, cutoff)
}

// Current implements directives.CurrentPrincipalFunc: p with the role its
// user has now, from the cache; an error wrapping auth.ErrRevoked when its
// sessions were revoked or its user is gone.
func (s *Sessions) Current(ctx context.Context, p *auth.Principal) (*auth.Principal, error) {
	role, cutoff, err := s.cached(ctx, p.Subject)
	if err != nil {
		return nil, err
	}
	if len(p.Roles) == 1 && p.Roles[0] == string(role) {
		return p, s.valid(p, role, cutoff)
	}
	cur := *p
	cur.Roles = []string{string(role)}
	if err := s.valid(&cur, role, cutoff); err != nil {
		return nil, err
	}
	return &cur, nil
}

// Authenticator wraps next so that a credential whose session was revoked
// (cutoff, role change) is refused like a revoked token, over HTTP and at
// a WebSocket upgrade alike.
func (s *Sessions) Authenticator(next auth.Authenticator) auth.Authenticator {
	return authFunc(func(ctx context.Context, cred auth.Credential) (*auth.Principal, error) {
		p, err := next.Authenticate(ctx, cred)
		if err != nil || p == nil {
			return p, err
		}
		role, cutoff, err := s.cached(ctx, p.Subject)
		if err != nil {
			return nil, err
		}
		if err := s.valid(p, role, cutoff); err != nil {
			return nil, err
		}
		return p, nil
	})
}

type authFunc func(ctx context.Context, cred auth.Credential) (*auth.Principal, error)

func (f authFunc) Authenticate(ctx context.Context, cred auth.Credential) (*auth.Principal, error) {
	return f(ctx, cred)
}

// valid compares p with its user's current role and cutoff.
func (s *Sessions) valid(p *auth.Principal, role model.Role, cutoff time.Time) error {
	if role == "" {
		return fmt.Errorf("session: %w: no such user", auth.ErrRevoked)
	}
	if !slices.Contains(p.Roles, string(role)) {
		return fmt.Errorf("session: %w: role changed", auth.ErrRevoked)
	}
	if !cutoff.IsZero() && p.Method == auth.MethodJWT && !p.ExpiresAt.IsZero() {
		// JWT times are whole seconds: a token issued in the second of the
		// cutoff is revoked too.
		issued := p.ExpiresAt.Add(-s.TokenLifetime)
		if issued.Unix() <= cutoff.Unix() {
			return fmt.Errorf("session: %w: sessions revoked", auth.ErrRevoked)
		}
	}
	return nil
}

func (s *Sessions) cached(ctx context.Context, subject string) (model.Role, time.Time, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.roles[subject]
	s.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.role, c.cutoff, nil
	}
	role, cutoff, err := s.lookup(ctx, subject)
	if err != nil {
		return "", time.Time{}, err
	}
	ttl := s.CacheTTL
	if ttl == 0 {
		ttl = time.Second
	}
	s.mu.Lock()
	if s.roles == nil {
		s.roles = map[string]cachedRole{}
	}
	if len(s.roles) > 100_000 { // bounded: start over rather than grow
		s.roles = map[string]cachedRole{}
	}
	s.roles[subject] = cachedRole{role: role, cutoff: cutoff, until: now.Add(ttl)}
	s.mu.Unlock()
	return role, cutoff, nil
}

func (s *Sessions) lookup(ctx context.Context, subject string) (model.Role, time.Time, error) {
	u, err := s.Store.UserByID(ctx, subject)
	if errors.Is(err, store.ErrNotFound) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("session: %w: %w", auth.ErrUnavailable, err)
	}
	cutoff, err := s.Cutoffs.Cutoff(ctx, subject)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("session: %w: %w", auth.ErrUnavailable, err)
	}
	return u.Role, cutoff, nil
}

func (s *Sessions) forget(subject string) {
	s.mu.Lock()
	delete(s.roles, subject)
	s.mu.Unlock()
}

func (s *Sessions) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

func (s *Sessions) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}
