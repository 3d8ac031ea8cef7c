package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/jwt"
	"github.com/rampart-go/rampart/auth/password"
	"github.com/rampart-go/rampart/auth/refresh"
	"github.com/rampart-go/rampart/demo/graph/model"
	"github.com/rampart-go/rampart/demo/graph/store"
	"github.com/rampart-go/rampart/mfa"
	"github.com/rampart-go/rampart/wssec"
)

// RefreshManager issues, rotates and revokes refresh tokens
// (refresh.Tokens satisfies it).
type RefreshManager interface {
	Issue(ctx context.Context, subject string) (string, error)
	Rotate(ctx context.Context, token string) (subject, next string, err error)
	Revoke(ctx context.Context, token string) error
}

// Accounts is registration, login, token refresh, logout and password
// changes.
type Accounts struct {
	Store     *store.Store
	Passwords *password.Hasher
	Issuer    *jwt.Issuer
	Tokens    RefreshManager
	// Revoker, when set, revokes the caller's access token at logout so it
	// stops working before it expires.
	Revoker interface {
		Revoke(ctx context.Context, p *auth.Principal) error
	}
	// TOTP verifies second factors (single-use codes, throttled per user).
	TOTP *mfa.TOTP
	// Secrets encrypts TOTP secrets at rest.
	Secrets *SecretBox
	// MinPasswordScore is the zxcvbn score (0..4) a new password needs;
	// zero means password.DefaultMinScore (3).
	MinPasswordScore int
	// Guard throttles login, registration and refresh by client IP and by
	// account. Nil means no throttling (tests only).
	Guard *BruteForceGuard
	// Sessions, when set, closes live WebSockets at logout and revokes
	// every session of a user whose refresh token was reused.
	Sessions *Sessions
	// OnPasswordVerified, when set (tests only), is called when a login's
	// password was verified, before its session is issued.
	OnPasswordVerified func(userID string)
	// OnPasswordChanging, when set (tests only), is called when a password
	// change has cut the user's sessions, before the new hash is stored.
	OnPasswordChanging func(userID string)
	// RefreshRecords, when set, finds whose refresh token was reused
	// (the refresh store: refresh.Store's Get).
	RefreshRecords interface {
		Get(ctx context.Context, hash string) (refresh.Record, error)
	}
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
		return nil, publicError(rampart.CodeBadUserInput, "email is too long")
	}
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || addr.Name != "" {
		return nil, publicError(rampart.CodeBadUserInput, "email is not a valid address")
	}
	if name == "" || utf8.RuneCountInString(name) > maxNameRunes {
		return nil, publicError(rampart.CodeBadUserInput, fmt.Sprintf("name must be 1 to %d characters", maxNameRunes))
	}
	if err := password.CheckPolicy(in.Password, email); err != nil {
		return nil, publicError(rampart.CodeBadUserInput, passwordMessage(err))
	}
	if err := password.CheckStrength(in.Password, []string{email, name}, a.MinPasswordScore); err != nil {
		return nil, publicError(rampart.CodeBadUserInput, passwordMessage(err))
	}
	hash, err := a.Passwords.HashContext(ctx, in.Password)
	if err != nil {
		return nil, dependencyError(ctx, err)
	}
	u, err := a.Store.CreateUser(ctx, email, name, hash, model.RoleUser)
	if errors.Is(err, store.ErrConflict) {
		// Saying "already registered" would let anyone test which emails
		// have accounts; a generic refusal costs a real user little.
		return nil, publicError(rampart.CodeBadUserInput, "registration failed: use another email or log in")
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
func (a *Accounts) Login(ctx context.Context, email, password string, otp *string) (*model.AuthPayload, error) {
	email = strings.TrimSpace(email)
	if err := a.Guard.check(ctx, "login", email); err != nil {
		return nil, err
	}
	payload, err := a.login(ctx, email, password, otp)
	if isInvalidCredentials(err) {
		a.Guard.failure(ctx, "login", email)
	} else if err == nil {
		a.Guard.success(ctx, "login", email)
	}
	return payload, err
}

func (a *Accounts) login(ctx context.Context, email, password string, otp *string) (*model.AuthPayload, error) {
	if len(email) > maxEmailBytes || len(password) > 1024 {
		if err := a.Passwords.VerifyDummyContext(ctx, password); err != nil {
			return nil, dependencyError(ctx, err)
		}
		return nil, errInvalidCredentials()
	}
	u, err := a.Store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		// A busy hasher answers TOO_BUSY here exactly as for a real
		// account, so the answer says nothing about which emails exist.
		if err := a.Passwords.VerifyDummyContext(ctx, password); err != nil {
			return nil, dependencyError(ctx, err)
		}
		return nil, errInvalidCredentials()
	}
	if err != nil {
		return nil, err
	}
	ok, err := a.Passwords.VerifyContext(ctx, password, u.PasswordHash)
	if isBusy(err) {
		return nil, errTooBusy(ctx)
	}
	if err != nil || !ok {
		if err != nil {
			a.log().ErrorContext(ctx, "password hash unreadable", "user", u.ID, "err", err)
		}
		return nil, errInvalidCredentials()
	}
	if a.Passwords.NeedsRehash(u.PasswordHash) {
		// Only over the hash just verified: never over a password changed
		// in the meantime.
		if h, err := a.Passwords.HashContext(ctx, password); err == nil {
			if ok, _ := a.Store.ReplacePasswordHash(ctx, u.ID, u.PasswordHash, h); ok {
				u.PasswordHash = h
			}
		}
	}
	if a.OnPasswordVerified != nil {
		a.OnPasswordVerified(u.ID)
	}
	m, err := a.Store.MFA(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	amr := []string{"pwd"}
	if m.Secret != "" {
		// The password was right: only now may the caller learn that a
		// second factor is needed.
		if otp == nil || *otp == "" {
			return nil, publicError(rampart.CodeMFARequired, "a one-time code is required: send otp")
		}
		if err := a.verifySecondFactor(ctx, u.ID, m, *otp); err != nil {
			return nil, err
		}
		amr = append(amr, "otp")
	}
	payload, err := a.session(ctx, u, amr)
	if err != nil {
		return nil, err
	}
	// The password verified may have been changed since. A change stores
	// its hash, then cuts the user's sessions: if the hash read here is
	// still the one verified, the change (if any) comes later and its
	// cutoff refuses the tokens just issued; otherwise they are never
	// handed out.
	if now, err := a.Store.UserByID(ctx, u.ID); err != nil || now.PasswordHash != u.PasswordHash {
		if err == nil {
			a.log().WarnContext(ctx, "login refused: the password changed while it was checked", "user", u.ID)
		}
		_ = a.Tokens.Revoke(ctx, payload.RefreshToken)
		if err != nil {
			return nil, storeError(err)
		}
		return nil, errInvalidCredentials()
	}
	return payload, nil
}

// Refresh rotates a refresh token and issues a new access token. Reusing a
// rotated token revokes its whole family.
func (a *Accounts) Refresh(ctx context.Context, token string) (*model.AuthPayload, error) {
	if err := a.Guard.check(ctx, "refresh", ""); err != nil {
		return nil, err
	}
	subject, next, err := a.Tokens.Rotate(ctx, token)
	if errors.Is(err, auth.ErrUnavailable) {
		return nil, errAuthUnavailable(ctx)
	}
	if err != nil {
		a.Guard.failure(ctx, "refresh", "")
		if !errors.Is(err, auth.ErrInvalidToken) && !errors.Is(err, auth.ErrExpired) && !errors.Is(err, auth.ErrRevoked) {
			return nil, err
		}
		a.log().WarnContext(ctx, "refresh refused", "reason", err.Error())
		if errors.Is(err, refresh.ErrReuse) {
			a.revokeReused(ctx, token)
		}
		return nil, errInvalidRefresh()
	}
	if err := a.refreshedBeforeCutoff(ctx, token, subject); err != nil {
		return nil, err
	}
	u, err := a.Store.UserByID(ctx, subject)
	if err != nil {
		return nil, errInvalidRefresh()
	}
	if err := a.awaitNewSecond(ctx, u.ID); err != nil {
		return nil, err
	}
	return a.payload(u, next, []string{"pwd"})
}

// Logout revokes the refresh token's family and, when the caller presents
// an access token, that token too. It answers true even for an unknown
// token, so it reveals nothing.
func (a *Accounts) Logout(ctx context.Context, refreshToken string) (bool, error) {
	if err := a.Tokens.Revoke(ctx, refreshToken); errors.Is(err, auth.ErrUnavailable) {
		return false, errAuthUnavailable(ctx)
	} else if err != nil &&
		!errors.Is(err, auth.ErrInvalidToken) && !errors.Is(err, auth.ErrRevoked) && !errors.Is(err, auth.ErrExpired) {
		return false, err
	}
	if p, ok := auth.PrincipalFrom(ctx); ok && a.Revoker != nil && p.Method == auth.MethodJWT {
		if err := a.Revoker.Revoke(ctx, p); err != nil {
			if errors.Is(err, auth.ErrUnavailable) {
				return false, errAuthUnavailable(ctx)
			}
			return false, err
		}
		if a.Sessions != nil && p.TokenID != "" {
			// The token is in the denylist: its live sockets close on
			// every replica.
			a.Sessions.Publish(ctx, wssec.SessionEvent{Subject: p.Subject, TokenID: p.TokenID, Cause: CauseLogout})
		}
	}
	return true, nil
}

// ChangePassword replaces the caller's password after checking the
// current one, then revokes every session of the caller: access tokens and
// refresh tokens issued until now (this request's included) are refused
// and the caller's live WebSockets close on every replica with 4403
// "session revoked: password change". A wrong current password answers
// INVALID_CREDENTIALS and counts against the caller's account and IP like
// a failed login; the new password must pass the registration policy.
//
// The sessions are revoked before the new hash is stored: if revoking
// fails nothing has changed (AUTH_UNAVAILABLE), and if storing fails the
// caller has only been logged out.
func (a *Accounts) ChangePassword(ctx context.Context, current, next string) (bool, error) {
	p, err := caller(ctx)
	if err != nil {
		return false, err
	}
	if p.Method != auth.MethodJWT {
		// Only a logged-in user (not an API key) changes a password; the
		// schema's account:manage scope says so too.
		return false, errForbidden()
	}
	if err := a.Guard.check(ctx, "changePassword", p.Subject); err != nil {
		return false, err
	}
	if a.Sessions == nil {
		// Without session control the old sessions would outlive the
		// password: refuse rather than pretend.
		return false, errAuthUnavailable(ctx)
	}
	u, err := a.Store.UserByID(ctx, p.Subject)
	if err != nil {
		return false, storeError(err)
	}
	if len(current) > 1024 {
		return false, a.wrongPassword(ctx, p.Subject)
	}
	ok, err := a.Passwords.VerifyContext(ctx, current, u.PasswordHash)
	if isBusy(err) {
		return false, errTooBusy(ctx)
	}
	if err != nil || !ok {
		if err != nil {
			a.log().ErrorContext(ctx, "password hash unreadable", "user", u.ID, "err", err)
		}
		return false, a.wrongPassword(ctx, p.Subject)
	}
	a.Guard.success(ctx, "changePassword", p.Subject)
	email := ""
	if u.Email != nil {
		email = *u.Email
	}
	if err := password.CheckPolicy(next, email); err != nil {
		return false, publicError(rampart.CodeBadUserInput, passwordMessage(err))
	}
	if err := password.CheckStrength(next, []string{email, u.Name}, a.MinPasswordScore); err != nil {
		return false, publicError(rampart.CodeBadUserInput, passwordMessage(err))
	}
	hash, err := a.Passwords.HashContext(ctx, next)
	if err != nil {
		return false, dependencyError(ctx, err)
	}
	if err := a.Sessions.RevokeSubject(ctx, u.ID, CausePasswordReset); err != nil {
		a.log().ErrorContext(ctx, "password not changed: sessions cannot be revoked", "user", u.ID, "err", err)
		return false, errAuthUnavailable(ctx)
	}
	if a.OnPasswordChanging != nil {
		a.OnPasswordChanging(u.ID)
	}
	if err := a.Store.SetPasswordHash(ctx, u.ID, hash); err != nil {
		return false, err
	}
	// Cut again, after the new hash is stored: a login that verified the
	// old password before this point, and got its token after the first
	// cutoff's second, is refused too (see login).
	if err := a.Sessions.Cut(ctx, u.ID); err != nil {
		a.log().ErrorContext(ctx, "password changed, but the second session cutoff failed", "user", u.ID, "err", err)
	}
	a.log().WarnContext(ctx, "audit: password changed, sessions revoked", "user", u.ID)
	return true, nil
}

// wrongPassword counts a failed current-password check and answers it as
// a failed login would.
func (a *Accounts) wrongPassword(ctx context.Context, subject string) error {
	a.Guard.failure(ctx, "changePassword", subject)
	return errInvalidCredentials()
}

// refreshedBeforeCutoff refuses a rotation whose presented token was
// issued at or before the last revocation of its user's sessions
// (revokeSessions, a password change, refresh-token reuse): the refresh
// stores cannot list a user's token families, so the cutoff is checked
// here instead, and the refused family is revoked. A token created by a
// rotation that raced the revocation is older than the cutoff too, so it
// is refused at its own next use.
func (a *Accounts) refreshedBeforeCutoff(ctx context.Context, token, subject string) error {
	if a.Sessions == nil || a.RefreshRecords == nil {
		return nil
	}
	rec, err := a.RefreshRecords.Get(ctx, refresh.HashToken(token))
	if err != nil {
		if errors.Is(err, auth.ErrNotFound) {
			return errInvalidRefresh()
		}
		return errAuthUnavailable(ctx)
	}
	err = a.Sessions.CheckIssued(ctx, subject, rec.CreatedAt)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, auth.ErrRevoked):
		a.log().WarnContext(ctx, "refresh refused", "reason", "issued before the user's sessions were revoked")
		if rerr := a.Tokens.Revoke(ctx, token); rerr != nil {
			a.log().ErrorContext(ctx, "refresh family not revoked", "user", subject, "err", rerr)
		}
		return errInvalidRefresh()
	default:
		return errAuthUnavailable(ctx)
	}
}

// revokeReused revokes every session of the owner of a reused refresh
// token: a thief may hold any of them (its family is already revoked).
func (a *Accounts) revokeReused(ctx context.Context, token string) {
	if a.Sessions == nil || a.RefreshRecords == nil {
		return
	}
	rec, err := a.RefreshRecords.Get(ctx, refresh.HashToken(token))
	if err != nil || rec.Subject == "" {
		return
	}
	if err := a.Sessions.RevokeSubject(ctx, rec.Subject, CauseRefreshReuse); err != nil {
		a.log().ErrorContext(ctx, "sessions not revoked after refresh token reuse", "user", rec.Subject, "err", err)
	}
}

// EnrollMFA starts TOTP enrolment: the secret stays pending until
// ConfirmMFA sees a code made with it.
func (a *Accounts) EnrollMFA(ctx context.Context) (*model.MFAEnrollment, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	u, err := a.Store.UserByID(ctx, p.Subject)
	if err != nil {
		return nil, storeError(err)
	}
	account := p.Subject
	if u.Email != nil {
		account = *u.Email
	}
	e, err := a.TOTP.Enroll(account)
	if err != nil {
		return nil, err
	}
	if err := a.Store.SetMFAPending(ctx, u.ID, a.Secrets.Seal(e.Secret), e.RecoveryHashes); err != nil {
		return nil, err
	}
	return &model.MFAEnrollment{Secret: e.Secret, OtpauthURL: e.URL, RecoveryCodes: e.RecoveryCodes}, nil
}

// ConfirmMFA activates the pending secret with a first code and answers a
// fresh session that carries the second factor.
func (a *Accounts) ConfirmMFA(ctx context.Context, code string) (*model.AuthPayload, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	m, err := a.Store.MFA(ctx, p.Subject)
	if err != nil {
		return nil, storeError(err)
	}
	if m.Pending == "" {
		return nil, publicError(rampart.CodeBadUserInput, "no MFA enrolment is pending: call enrollMFA first")
	}
	pending, err := a.openSecret(ctx, p.Subject, m.Pending)
	if err != nil {
		return nil, err
	}
	if err := a.TOTP.Verify(ctx, p.Subject, pending, code); err != nil {
		return nil, mfaError(err)
	}
	if err := a.Store.ActivateMFA(ctx, p.Subject, m.Pending); err != nil {
		return nil, publicError(CodeConflict, "the enrolment changed meanwhile: enroll again")
	}
	return a.freshSession(ctx, p.Subject)
}

// StepUp proves the second factor again and answers a session whose
// access token says so (amr otp, auth_time now).
func (a *Accounts) StepUp(ctx context.Context, code string) (*model.AuthPayload, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	m, err := a.Store.MFA(ctx, p.Subject)
	if err != nil {
		return nil, storeError(err)
	}
	if m.Secret == "" {
		return nil, publicError(rampart.CodeMFARequired, "enrol a second factor first (enrollMFA, confirmMFA)")
	}
	if err := a.verifySecondFactor(ctx, p.Subject, m, code); err != nil {
		return nil, err
	}
	return a.freshSession(ctx, p.Subject)
}

// verifySecondFactor accepts a TOTP code, or else a recovery code (used
// up atomically).
func (a *Accounts) verifySecondFactor(ctx context.Context, subject string, m store.MFA, code string) error {
	secret, err := a.openSecret(ctx, subject, m.Secret)
	if err != nil {
		return err
	}
	err = a.TOTP.Verify(ctx, subject, secret, code)
	if err == nil {
		return nil
	}
	if !errors.Is(err, mfa.ErrInvalidCode) || errors.Is(err, mfa.ErrCodeReused) || len(code) < 16 {
		return mfaError(err)
	}
	i, rerr := a.TOTP.VerifyRecovery(ctx, subject, code, m.RecoveryHashes)
	if rerr != nil {
		return mfaError(rerr)
	}
	if err := a.Store.UseRecoveryHash(ctx, subject, m.RecoveryHashes, i); err != nil {
		return mfaError(mfa.ErrInvalidCode)
	}
	return nil
}

// openSecret decrypts a stored TOTP secret. Failure (another key, a
// tampered row) is logged and answered MFA_UNAVAILABLE, never as a wrong code.
func (a *Accounts) openSecret(ctx context.Context, subject, sealed string) (string, error) {
	secret, err := a.Secrets.Open(sealed)
	if err != nil {
		a.log().ErrorContext(ctx, "stored TOTP secret cannot be opened (key changed?)", "user", subject, "err", err)
		return "", publicError(mfa.CodeMFAUnavailable, "second factor temporarily unavailable")
	}
	return secret, nil
}

// mfaError turns an mfa error into a client error with its stable code.
func mfaError(err error) error {
	code, msg := mfa.ErrorCode(err)
	e := publicError(code, msg)
	if d, ok := mfa.RetryAfter(err); ok && d > 0 {
		e.Extensions["retryAfter"] = max(int(d.Seconds()+0.999), 1)
	}
	return e
}

func (a *Accounts) freshSession(ctx context.Context, subject string) (*model.AuthPayload, error) {
	u, err := a.Store.UserByID(ctx, subject)
	if err != nil {
		return nil, storeError(err)
	}
	return a.session(ctx, u, []string{"pwd", "otp"})
}

func (a *Accounts) session(ctx context.Context, u *model.User, amr []string) (*model.AuthPayload, error) {
	// Both tokens are issued after the second of the user's last cutoff:
	// one issued in that second counts as revoked (access and refresh
	// tokens alike).
	if err := a.awaitNewSecond(ctx, u.ID); err != nil {
		return nil, err
	}
	refresh, err := a.Tokens.Issue(ctx, u.ID)
	if err != nil {
		return nil, dependencyError(ctx, err)
	}
	return a.payload(u, refresh, amr)
}

// awaitNewSecond keeps a new access token out of the second in which the
// user's sessions were revoked (see Sessions.AwaitNewSecond).
func (a *Accounts) awaitNewSecond(ctx context.Context, subject string) error {
	if a.Sessions == nil {
		return nil
	}
	if err := a.Sessions.AwaitNewSecond(ctx, subject); err != nil {
		if errors.Is(err, auth.ErrUnavailable) {
			return errAuthUnavailable(ctx)
		}
		return err
	}
	return nil
}

func (a *Accounts) payload(u *model.User, refresh string, amr []string) (*model.AuthPayload, error) {
	// auth_time is now: every caller of payload has just authenticated
	// (password, second factor) except Refresh, which passes amr pwd only
	// so that step-up is needed again after a refresh.
	at, err := a.Issuer.Issue(auth.Principal{Subject: u.ID, Roles: []string{string(u.Role)}, Scopes: UserScopes(), AMR: amr, AuthTime: time.Now()})
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
