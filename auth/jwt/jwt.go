package jwt

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/rampart-go/rampart/auth"
)

// Signing algorithms a Key may be pinned to.
const (
	AlgHS256 = "HS256"
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
	AlgEdDSA = "EdDSA"
)

// Defaults and limits of Config.
const (
	// DefaultLeeway is the clock skew tolerated on exp, nbf and iat.
	DefaultLeeway = 30 * time.Second
	// MaxLeeway is the largest leeway NewIssuer and NewVerifier accept.
	MaxLeeway = 5 * time.Minute
	// DefaultLifetime is how long an access token lives.
	DefaultLifetime = 15 * time.Minute
	// MaxLifetime is the longest lifetime NewIssuer and NewVerifier accept.
	MaxLifetime = 24 * time.Hour
	// DefaultMaxTokenBytes is the size above which a token is refused
	// before it is parsed.
	DefaultMaxTokenBytes = 8 << 10
	// MinHMACSecretBytes is the shortest HS256 secret NewIssuer and NewVerifier accept.
	MinHMACSecretBytes = 32
	// MinRSABits is the smallest RSA modulus NewIssuer and NewVerifier accept.
	MinRSABits = 2048
	// AccessTokenType is the JOSE "typ" header of an access token
	// (RFC 9068). A JWT without it is never accepted as an access token.
	AccessTokenType = "at+jwt"
)

// Key is one signing or verification key. Each key is pinned to one
// algorithm: a token naming another algorithm is refused even if the bytes
// would verify, which stops "alg: none" and HS256-with-the-RSA-public-key
// attacks.
type Key struct {
	// ID is the "kid" header that selects this key. It may be empty only
	// when the configuration has a single key; tokens must then carry no kid.
	ID string
	// Algorithm is one of AlgHS256 (the default when empty), AlgRS256,
	// AlgES256 or AlgEdDSA.
	Algorithm string
	// Secret is the HMAC key for HS256: at least 32 random bytes.
	Secret []byte
	// PublicKey verifies RS256 (*rsa.PublicKey, 2048 bits or more), ES256
	// (*ecdsa.PublicKey on P-256) and EdDSA (ed25519.PublicKey) tokens. It
	// may be left nil when PrivateKey is set.
	PublicKey crypto.PublicKey
	// PrivateKey signs tokens for an Issuer with an asymmetric algorithm:
	// *rsa.PrivateKey, *ecdsa.PrivateKey or ed25519.PrivateKey. A verifier
	// never needs it.
	PrivateKey crypto.Signer
}

// Config configures a Verifier and an Issuer. Issuer, Audience and
// at least one key are required; every other zero field means the hardened
// default.
type Config struct {
	// Issuer is the "iss" value minted and required. Required.
	Issuer string
	// Audience is the "aud" value minted and required. Required.
	Audience string
	// Keys are the keys tokens may be signed with, looked up by "kid". Keep
	// the old key here during a rotation so that tokens it signed stay
	// valid until they expire.
	Keys []Key
	// SigningKeyID names the key an Issuer signs with. Empty means the
	// first key.
	SigningKeyID string
	// Leeway is the clock skew tolerated on exp, nbf and iat. Zero means
	// DefaultLeeway (30s); it must not be negative or exceed MaxLeeway.
	Leeway time.Duration
	// Lifetime is how long minted access tokens live, and the longest
	// lifetime a verified token may claim. Zero means
	// DefaultLifetime (15m); at most MaxLifetime.
	Lifetime time.Duration
	// MaxTokenBytes is the size above which a token is refused before
	// parsing. Zero means DefaultMaxTokenBytes (8 KiB).
	MaxTokenBytes int
	// Revocations, when set, is consulted with the token's "jti" on every
	// verification. A failing lookup refuses the token (fail closed) with
	// an error wrapping auth.ErrUnavailable.
	Revocations Revocations
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

type compiledKey struct {
	id     string
	alg    string
	method gojwt.SigningMethod
	verify any // []byte, *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey
	sign   any // []byte, *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey or nil
}

type settings struct {
	issuer, audience string
	keys             map[string]*compiledKey
	algs             []string
	leeway, lifetime time.Duration
	maxBytes         int
	revocations      Revocations
	now              func() time.Time
}

func newSettings(c Config) (*settings, error) {
	s := &settings{
		issuer:      c.Issuer,
		audience:    c.Audience,
		keys:        make(map[string]*compiledKey, len(c.Keys)),
		leeway:      c.Leeway,
		lifetime:    c.Lifetime,
		maxBytes:    c.MaxTokenBytes,
		revocations: c.Revocations,
		now:         c.Now,
	}
	if s.issuer == "" {
		return nil, fmt.Errorf("%w: jwt: Issuer is required", auth.ErrConfig)
	}
	if s.audience == "" {
		return nil, fmt.Errorf("%w: jwt: Audience is required", auth.ErrConfig)
	}
	switch {
	case s.leeway == 0:
		s.leeway = DefaultLeeway
	case s.leeway < 0 || s.leeway > MaxLeeway:
		return nil, fmt.Errorf("%w: jwt: Leeway %v outside (0, %v]", auth.ErrConfig, s.leeway, MaxLeeway)
	}
	switch {
	case s.lifetime == 0:
		s.lifetime = DefaultLifetime
	case s.lifetime < 0 || s.lifetime > MaxLifetime:
		return nil, fmt.Errorf("%w: jwt: Lifetime %v outside (0, %v]", auth.ErrConfig, s.lifetime, MaxLifetime)
	}
	switch {
	case s.maxBytes == 0:
		s.maxBytes = DefaultMaxTokenBytes
	case s.maxBytes < 0:
		return nil, fmt.Errorf("%w: jwt: MaxTokenBytes %d is negative", auth.ErrConfig, s.maxBytes)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if len(c.Keys) == 0 {
		return nil, fmt.Errorf("%w: jwt: at least one key is required", auth.ErrConfig)
	}
	seen := map[string]bool{}
	for i, k := range c.Keys {
		if len(c.Keys) > 1 && k.ID == "" {
			return nil, fmt.Errorf("%w: jwt: key %d needs an ID when several keys are configured", auth.ErrConfig, i)
		}
		if _, dup := s.keys[k.ID]; dup {
			return nil, fmt.Errorf("%w: jwt: duplicate key ID %q", auth.ErrConfig, k.ID)
		}
		pk, err := compileKey(k)
		if err != nil {
			return nil, fmt.Errorf("%w: jwt: key %q: %w", auth.ErrConfig, k.ID, err)
		}
		s.keys[k.ID] = pk
		if !seen[pk.alg] {
			seen[pk.alg] = true
			s.algs = append(s.algs, pk.alg)
		}
	}
	return s, nil
}

func compileKey(k Key) (*compiledKey, error) {
	alg := k.Algorithm
	if alg == "" {
		alg = AlgHS256
	}
	out := &compiledKey{id: k.ID, alg: alg}
	pub := k.PublicKey
	if pub == nil && k.PrivateKey != nil {
		pub = k.PrivateKey.Public()
	}
	switch alg {
	case AlgHS256:
		if len(k.Secret) < MinHMACSecretBytes {
			return nil, fmt.Errorf("HS256 secret has %d bytes, need at least %d", len(k.Secret), MinHMACSecretBytes)
		}
		if k.PublicKey != nil || k.PrivateKey != nil {
			return nil, errors.New("HS256 key must not carry a public or private key")
		}
		secret := append([]byte(nil), k.Secret...)
		out.method, out.verify, out.sign = gojwt.SigningMethodHS256, secret, secret
	case AlgRS256:
		p, ok := pub.(*rsa.PublicKey)
		if !ok || p == nil {
			return nil, fmt.Errorf("RS256 needs an *rsa.PublicKey, got %T", pub)
		}
		if p.N.BitLen() < MinRSABits {
			return nil, fmt.Errorf("RSA key has %d bits, need at least %d", p.N.BitLen(), MinRSABits)
		}
		out.method, out.verify = gojwt.SigningMethodRS256, p
		if k.PrivateKey != nil {
			priv, ok := k.PrivateKey.(*rsa.PrivateKey)
			if !ok || !priv.PublicKey.Equal(p) {
				return nil, errors.New("RS256 private key does not match the public key")
			}
			out.sign = priv
		}
	case AlgES256:
		p, ok := pub.(*ecdsa.PublicKey)
		if !ok || p == nil || p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("ES256 needs a P-256 *ecdsa.PublicKey, got %T", pub)
		}
		out.method, out.verify = gojwt.SigningMethodES256, p
		if k.PrivateKey != nil {
			priv, ok := k.PrivateKey.(*ecdsa.PrivateKey)
			if !ok || !priv.PublicKey.Equal(p) {
				return nil, errors.New("ES256 private key does not match the public key")
			}
			out.sign = priv
		}
	case AlgEdDSA:
		p, ok := pub.(ed25519.PublicKey)
		if !ok || len(p) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("EdDSA needs an ed25519.PublicKey, got %T", pub)
		}
		out.method, out.verify = gojwt.SigningMethodEdDSA, p
		if k.PrivateKey != nil {
			priv, ok := k.PrivateKey.(ed25519.PrivateKey)
			if !ok || !p.Equal(priv.Public()) {
				return nil, errors.New("EdDSA private key does not match the public key")
			}
			out.sign = priv
		}
	default:
		return nil, fmt.Errorf("unsupported algorithm %q (want HS256, RS256, ES256 or EdDSA)", alg)
	}
	return out, nil
}

// accessClaims is the payload of an access token (RFC 9068 names).
type accessClaims struct {
	gojwt.RegisteredClaims
	Roles []string `json:"roles,omitempty"`
	Scope string   `json:"scope,omitempty"`
	AMR   []string `json:"amr,omitempty"`
	// AuthTime is when the user last authenticated interactively (OIDC
	// "auth_time"), for step-up checks.
	AuthTime *gojwt.NumericDate `json:"auth_time,omitempty"`
}

// AccessToken is a freshly minted access token.
type AccessToken struct {
	// Token is the compact JWT to hand to the client.
	Token string
	// ID is the token's "jti", for revocation.
	ID string
	// ExpiresAt is the token's "exp".
	ExpiresAt time.Time
}

// Issuer mints access tokens. It is safe for concurrent use.
type Issuer struct {
	s   *settings
	key *compiledKey
}

// NewIssuer checks c and returns an issuer that signs with the key named
// by c.SigningKeyID (the first key when empty).
func NewIssuer(c Config) (*Issuer, error) {
	s, err := newSettings(c)
	if err != nil {
		return nil, err
	}
	id := c.SigningKeyID
	if id == "" {
		id = c.Keys[0].ID
	}
	k, ok := s.keys[id]
	if !ok {
		return nil, fmt.Errorf("%w: jwt: SigningKeyID %q names no configured key", auth.ErrConfig, id)
	}
	if k.sign == nil {
		return nil, fmt.Errorf("%w: jwt: signing key %q has no private key", auth.ErrConfig, id)
	}
	return &Issuer{s: s, key: k}, nil
}

// Issue mints an access token for p's Subject, Roles, Scopes, AMR and
// AuthTime (the "auth_time" claim, omitted when zero). The
// token ID and expiry are chosen by the issuer; p's TokenID, Method and
// ExpiresAt are ignored.
func (i *Issuer) Issue(p auth.Principal) (AccessToken, error) {
	if p.Subject == "" {
		return AccessToken{}, errors.New("auth: jwt: cannot issue a token without a subject")
	}
	now := i.s.now().Truncate(time.Second)
	exp := now.Add(i.s.lifetime)
	jti := rand.Text()
	claims := accessClaims{
		RegisteredClaims: gojwt.RegisteredClaims{
			Issuer:    i.s.issuer,
			Subject:   p.Subject,
			Audience:  gojwt.ClaimStrings{i.s.audience},
			ExpiresAt: gojwt.NewNumericDate(exp),
			NotBefore: gojwt.NewNumericDate(now),
			IssuedAt:  gojwt.NewNumericDate(now),
			ID:        jti,
		},
		Roles: p.Roles,
		Scope: strings.Join(p.Scopes, " "),
		AMR:   p.AMR,
	}
	if !p.AuthTime.IsZero() {
		claims.AuthTime = gojwt.NewNumericDate(p.AuthTime)
	}
	t := gojwt.NewWithClaims(i.key.method, claims)
	t.Header["typ"] = AccessTokenType
	if i.key.id != "" {
		t.Header["kid"] = i.key.id
	}
	signed, err := t.SignedString(i.key.sign)
	if err != nil {
		return AccessToken{}, fmt.Errorf("auth: jwt: sign: %w", err)
	}
	return AccessToken{Token: signed, ID: jti, ExpiresAt: exp}, nil
}

// Lifetime reports how long the tokens this issuer mints live.
func (i *Issuer) Lifetime() time.Duration { return i.s.lifetime }

// Verifier checks access tokens and implements auth.Authenticator for
// auth.CredentialBearer. It is safe for concurrent use.
type Verifier struct {
	s      *settings
	parser *gojwt.Parser
}

var _ auth.Authenticator = (*Verifier)(nil)

// NewVerifier checks c and returns a verifier. It fails when Issuer,
// Audience or keys are missing, when an HMAC secret is shorter than 32
// bytes, or when a key does not match its algorithm.
func NewVerifier(c Config) (*Verifier, error) {
	s, err := newSettings(c)
	if err != nil {
		return nil, err
	}
	parser := gojwt.NewParser(
		gojwt.WithValidMethods(s.algs),
		gojwt.WithIssuer(s.issuer),
		gojwt.WithAudience(s.audience),
		gojwt.WithExpirationRequired(),
		gojwt.WithIssuedAt(),
		gojwt.WithLeeway(s.leeway),
		gojwt.WithTimeFunc(s.now),
		gojwt.WithStrictDecoding(),
	)
	return &Verifier{s: s, parser: parser}, nil
}

// errJWT wraps a reason as auth.ErrInvalidToken.
func errJWT(reason string) error {
	return fmt.Errorf("auth: jwt: %w: %s", auth.ErrInvalidToken, reason)
}

func (v *Verifier) keyFunc(t *gojwt.Token) (any, error) {
	var kid string
	if raw, ok := t.Header["kid"]; ok {
		s, isString := raw.(string)
		if !isString {
			return nil, errors.New("kid is not a string")
		}
		kid = s
	}
	k, ok := v.s.keys[kid]
	if !ok {
		return nil, errors.New("unknown kid")
	}
	if t.Method == nil || t.Method.Alg() != k.alg {
		return nil, errors.New("algorithm does not match the key")
	}
	typ, _ := t.Header["typ"].(string)
	if !strings.EqualFold(typ, AccessTokenType) && !strings.EqualFold(typ, "application/"+AccessTokenType) {
		return nil, errors.New("typ is not at+jwt")
	}
	if _, ok := t.Header["crit"]; ok {
		return nil, errors.New("crit header not understood")
	}
	return k.verify, nil
}

// Verify checks token and returns the Principal it stands for. Errors wrap
// auth.ErrExpired (exp passed or nbf/iat in the future), auth.ErrRevoked,
// or auth.ErrInvalidToken (anything else); the Principal is nil whenever
// the error is not.
func (v *Verifier) Verify(ctx context.Context, token string) (*auth.Principal, error) {
	if len(token) > v.s.maxBytes {
		return nil, errJWT(fmt.Sprintf("token has %d bytes, limit %d", len(token), v.s.maxBytes))
	}
	if token == "" {
		return nil, errJWT("empty token")
	}
	var c accessClaims
	if _, err := v.parser.ParseWithClaims(token, &c, v.keyFunc); err != nil {
		if errors.Is(err, gojwt.ErrTokenExpired) || errors.Is(err, gojwt.ErrTokenNotValidYet) || errors.Is(err, gojwt.ErrTokenUsedBeforeIssued) {
			return nil, fmt.Errorf("auth: jwt: %w: %w", auth.ErrExpired, err)
		}
		return nil, fmt.Errorf("auth: jwt: %w: %w", auth.ErrInvalidToken, err)
	}
	switch {
	case c.Subject == "":
		return nil, errJWT("missing sub")
	case c.ID == "":
		return nil, errJWT("missing jti")
	case c.IssuedAt == nil:
		return nil, errJWT("missing iat")
	case c.ExpiresAt.Sub(c.IssuedAt.Time) > v.s.lifetime:
		return nil, errJWT("lifetime longer than configured")
	case c.ExpiresAt.After(v.s.now().Add(v.s.lifetime + v.s.leeway)):
		return nil, errJWT("exp too far in the future")
	}
	if v.s.revocations != nil {
		revoked, err := v.s.revocations.IsRevoked(ctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("auth: jwt: revocation check: %w: %w: %w", auth.ErrInvalidToken, auth.ErrUnavailable, err)
		}
		if revoked {
			return nil, fmt.Errorf("auth: jwt: %w", auth.ErrRevoked)
		}
	}
	p := &auth.Principal{
		Subject:   c.Subject,
		Roles:     c.Roles,
		Scopes:    strings.Fields(c.Scope),
		TokenID:   c.ID,
		Method:    auth.MethodJWT,
		AMR:       c.AMR,
		ExpiresAt: c.ExpiresAt.Time,
	}
	if c.AuthTime != nil {
		p.AuthTime = c.AuthTime.Time
	}
	return p, nil
}

// Authenticate verifies an auth.CredentialBearer credential; any other kind is
// refused with auth.ErrInvalidToken.
func (v *Verifier) Authenticate(ctx context.Context, cred auth.Credential) (*auth.Principal, error) {
	if cred.Kind != auth.CredentialBearer {
		return nil, errJWT("credential is not a bearer token")
	}
	return v.Verify(ctx, cred.Value)
}

// Revoke marks p's access token as revoked until it expires (logout). It
// fails with auth.ErrConfig when no Revocations store is configured.
func (v *Verifier) Revoke(ctx context.Context, p *auth.Principal) error {
	if v.s.revocations == nil {
		return fmt.Errorf("%w: jwt: no Revocations configured", auth.ErrConfig)
	}
	if p == nil || p.TokenID == "" || p.Method != auth.MethodJWT {
		return errJWT("not a JWT principal")
	}
	return v.s.revocations.Revoke(ctx, p.TokenID, p.ExpiresAt)
}
