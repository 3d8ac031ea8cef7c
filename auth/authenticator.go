package auth

import (
	"context"
	"errors"
)

// Sentinel errors returned by authenticators and verifiers. Test for them with
// errors.Is; clients only ever see a generic message and code.
var (
	// ErrNoCredential means the request carried no credential at all.
	ErrNoCredential = errors.New("auth: no credential")
	// ErrInvalidToken means a credential was present but is malformed, has a
	// bad signature, the wrong algorithm, issuer, audience or type.
	ErrInvalidToken = errors.New("auth: invalid credential")
	// ErrExpired means the credential was valid once but has expired or is not
	// valid yet.
	ErrExpired = errors.New("auth: credential expired")
	// ErrRevoked means the credential has been revoked (logout, rotation,
	// refresh-token reuse).
	ErrRevoked = errors.New("auth: credential revoked")
)

// CredentialKind says what sort of secret a Credential holds.
type CredentialKind int

// Kinds of credential.
const (
	// CredentialBearer is a bearer access token (a JWT).
	CredentialBearer CredentialKind = iota + 1
	// CredentialAPIKey is an API key sent in its own header.
	CredentialAPIKey
)

// Credential is an untrusted secret presented by a caller, before it is
// verified.
type Credential struct {
	Kind  CredentialKind
	Value string
}

// Authenticator turns a credential into a Principal. It is the one path used
// by the HTTP middleware and by WebSocket handshakes and connection_init
// payloads, so that every transport verifies identity the same way.
//
// Authenticate returns an error wrapping one of ErrInvalidToken, ErrExpired
// or ErrRevoked when the credential is refused; it never returns a nil
// Principal with a nil error.
type Authenticator interface {
	Authenticate(ctx context.Context, cred Credential) (*Principal, error)
}

// AuthenticatorFunc adapts a function to the Authenticator interface.
type AuthenticatorFunc func(ctx context.Context, cred Credential) (*Principal, error)

// Authenticate calls f(ctx, cred).
func (f AuthenticatorFunc) Authenticate(ctx context.Context, cred Credential) (*Principal, error) {
	return f(ctx, cred)
}
