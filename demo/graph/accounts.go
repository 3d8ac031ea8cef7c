package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/demo/graph/model"
	"github.com/rampart-go/rampart/demo/graph/store"
)

// RefreshManager issues, rotates and revokes refresh tokens
// (auth.RefreshTokens satisfies it).
type RefreshManager interface {
	Issue(ctx context.Context, subject string) (string, error)
	Rotate(ctx context.Context, token string) (subject, next string, err error)
	Revoke(ctx context.Context, token string) error
}

// Accounts is registration, login, token refresh and logout.
type Accounts struct {
	Store     *store.Store
	Passwords *auth.PasswordHasher
	Issuer    *auth.JWTIssuer
	Tokens    RefreshManager
	// Revoker, when set, revokes the caller's access token at logout so it
	// stops working before it expires.
	Revoker interface {
		Revoke(ctx context.Context, p *auth.Principal) error
	}
	// Guard throttles login, registration and refresh by client IP and by
	// account. Nil means no throttling (tests only).
	Guard  *BruteForceGuard
	Logger *slog.Logger
}

// Input limits for account fields.
const (
	maxEmailBytes = 254
	maxNameRunes  = 80
)

// errInvalidCredentials is the one answer to every failed login and
// refresh: it never says whether the account exists.
func errInvalidCredentials() error {
	return publicError(CodeInvalidCredentials, "invalid email or password")
}

// errAuthUnavailable answers when the token store cannot be reached: the
// client should retry, and must not conclude its token is bad.
func errAuthUnavailable() error {
	return publicError(auth.CodeAuthUnavailable, "authentication temporarily unavailable: retry later")
}

func errInvalidRefresh() error {
	return publicError(CodeInvalidCredentials, "invalid or expired refresh token")
}

// Register creates a USER account (the role cannot be chosen) and logs it in.
func (a *Accounts) Register(ctx context.Context, in model.RegisterInput) (*model.AuthPayload, error) {
	// Every registration attempt counts against the client: sign-up is a
	// business flow bots abuse (OWASP API6), successful or not.
	if err := a.Guard.check(ctx, "register", ""); err != nil {
		return nil, err
	}
	a.Guard.failure(ctx, "register", "")
	email := strings.TrimSpace(in.Email)
	name := strings.TrimSpace(in.Name)
	if len(email) > maxEmailBytes {
		return nil, publicError(CodeBadUserInput, "email is too long")
	}
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || addr.Name != "" {
		return nil, publicError(CodeBadUserInput, "email is not a valid address")
	}
	if name == "" || utf8.RuneCountInString(name) > maxNameRunes {
		return nil, publicError(CodeBadUserInput, fmt.Sprintf("name must be 1 to %d characters", maxNameRunes))
	}
	if err := auth.CheckPasswordPolicy(in.Password, email); err != nil {
		return nil, publicError(CodeBadUserInput, passwordMessage(err))
	}
	hash, err := a.Passwords.Hash(in.Password)
	if err != nil {
		return nil, err
	}
	u, err := a.Store.CreateUser(ctx, email, name, hash, model.RoleUser)
	if errors.Is(err, store.ErrConflict) {
		// Saying "already registered" would let anyone test which emails
		// have accounts; a generic refusal costs a real user little.
		return nil, publicError(CodeBadUserInput, "registration failed: use another email or log in")
	}
	if err != nil {
		return nil, err
	}
	return a.session(ctx, u, []string{"pwd"})
}

// passwordMessage turns a policy error into a message for the client.
func passwordMessage(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "auth: ")
	return "password rejected: " + msg
}

// Login checks an email and password. Unknown emails and wrong passwords get
// the same answer after the same work.
func (a *Accounts) Login(ctx context.Context, email, password string) (*model.AuthPayload, error) {
	email = strings.TrimSpace(email)
	if err := a.Guard.check(ctx, "login", email); err != nil {
		return nil, err
	}
	payload, err := a.login(ctx, email, password)
	if isInvalidCredentials(err) {
		a.Guard.failure(ctx, "login", email)
	} else if err == nil {
		a.Guard.success(ctx, "login", email)
	}
	return payload, err
}

func (a *Accounts) login(ctx context.Context, email, password string) (*model.AuthPayload, error) {
	if len(email) > maxEmailBytes || len(password) > 1024 {
		a.Passwords.VerifyDummy(password)
		return nil, errInvalidCredentials()
	}
	u, err := a.Store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		a.Passwords.VerifyDummy(password)
		return nil, errInvalidCredentials()
	}
	if err != nil {
		return nil, err
	}
	ok, err := a.Passwords.Verify(password, u.PasswordHash)
	if err != nil || !ok {
		if err != nil {
			a.log().ErrorContext(ctx, "password hash unreadable", "user", u.ID, "err", err)
		}
		return nil, errInvalidCredentials()
	}
	if a.Passwords.NeedsRehash(u.PasswordHash) {
		if h, err := a.Passwords.Hash(password); err == nil {
			_ = a.Store.SetPasswordHash(ctx, u.ID, h)
		}
	}
	return a.session(ctx, u, []string{"pwd"})
}

// Refresh rotates a refresh token and issues a new access token. Reusing a
// rotated token revokes its whole family.
func (a *Accounts) Refresh(ctx context.Context, token string) (*model.AuthPayload, error) {
	if err := a.Guard.check(ctx, "refresh", ""); err != nil {
		return nil, err
	}
	subject, next, err := a.Tokens.Rotate(ctx, token)
	if errors.Is(err, auth.ErrUnavailable) {
		return nil, errAuthUnavailable()
	}
	if err != nil {
		a.Guard.failure(ctx, "refresh", "")
		if !errors.Is(err, auth.ErrInvalidToken) && !errors.Is(err, auth.ErrExpired) && !errors.Is(err, auth.ErrRevoked) {
			return nil, err
		}
		a.log().WarnContext(ctx, "refresh refused", "reason", err.Error())
		return nil, errInvalidRefresh()
	}
	u, err := a.Store.UserByID(ctx, subject)
	if err != nil {
		return nil, errInvalidRefresh()
	}
	return a.payload(u, next, []string{"pwd"})
}

// Logout revokes the refresh token's family and, when the caller presents
// an access token, that token too. It answers true even for an unknown
// token, so it reveals nothing.
func (a *Accounts) Logout(ctx context.Context, refreshToken string) (bool, error) {
	if err := a.Tokens.Revoke(ctx, refreshToken); errors.Is(err, auth.ErrUnavailable) {
		return false, errAuthUnavailable()
	} else if err != nil &&
		!errors.Is(err, auth.ErrInvalidToken) && !errors.Is(err, auth.ErrRevoked) && !errors.Is(err, auth.ErrExpired) {
		return false, err
	}
	if p, ok := auth.PrincipalFrom(ctx); ok && a.Revoker != nil && p.Method == auth.MethodJWT {
		if err := a.Revoker.Revoke(ctx, p); err != nil {
			if errors.Is(err, auth.ErrUnavailable) {
				return false, errAuthUnavailable()
			}
			return false, err
		}
	}
	return true, nil
}

func (a *Accounts) session(ctx context.Context, u *model.User, amr []string) (*model.AuthPayload, error) {
	refresh, err := a.Tokens.Issue(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return a.payload(u, refresh, amr)
}

func (a *Accounts) payload(u *model.User, refresh string, amr []string) (*model.AuthPayload, error) {
	at, err := a.Issuer.Issue(auth.Principal{Subject: u.ID, Roles: []string{string(u.Role)}, Scopes: UserScopes(), AMR: amr})
	if err != nil {
		return nil, err
	}
	return &model.AuthPayload{
		AccessToken:  at.Token,
		RefreshToken: refresh,
		ExpiresIn:    int(a.Issuer.Lifetime().Seconds()),
		User:         u,
	}, nil
}

func (a *Accounts) log() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}
