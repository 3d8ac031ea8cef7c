package jwt_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/jwt"
)

// mixedConfig trusts one key of each algorithm, as a verifier in the middle
// of an algorithm migration would.
func mixedConfig() jwt.Config {
	k := testKeys()
	return baseConfig(
		jwt.Key{ID: "hs1", Secret: hmacSecret},
		jwt.Key{ID: "rsa1", Algorithm: jwt.AlgRS256, PublicKey: &k.rsa.PublicKey},
		jwt.Key{ID: "ec1", Algorithm: jwt.AlgES256, PublicKey: &k.ec.PublicKey},
		jwt.Key{ID: "ed1", Algorithm: jwt.AlgEdDSA, PublicKey: k.ed.Public()},
	)
}

func mustVerifier(t testing.TB, c jwt.Config) *jwt.Verifier {
	t.Helper()
	v, err := jwt.NewVerifier(c)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

type jwtCase struct {
	name    string
	cfg     func() jwt.Config // nil = mixedConfig
	token   func(t testing.TB) string
	wantErr error // nil = must pass
}

func hs(h map[string]any, c gojwt.MapClaims) func(testing.TB) string {
	return func(t testing.TB) string {
		if h == nil {
			h = map[string]any{}
		}
		if _, ok := h["kid"]; !ok {
			h["kid"] = "hs1"
		}
		return signToken(t, gojwt.SigningMethodHS256, hmacSecret, h, c)
	}
}

func jwtCases() []jwtCase {
	k := testKeys()
	good := goodClaims()
	return []jwtCase{
		// Benign tokens that must pass.
		{name: "valid_hs256", token: hs(nil, good)},
		{name: "valid_rs256", token: func(t testing.TB) string {
			return signToken(t, gojwt.SigningMethodRS256, k.rsa, map[string]any{"kid": "rsa1"}, good)
		}},
		{name: "valid_es256", token: func(t testing.TB) string {
			return signToken(t, gojwt.SigningMethodES256, k.ec, map[string]any{"kid": "ec1"}, good)
		}},
		{name: "valid_eddsa", token: func(t testing.TB) string {
			return signToken(t, gojwt.SigningMethodEdDSA, k.ed, map[string]any{"kid": "ed1"}, good)
		}},
		{name: "typ_application_at_jwt_passes", token: hs(map[string]any{"typ": "application/at+jwt"}, good)},
		{name: "expired_within_leeway_passes", token: hs(nil, with(good, "exp", t0.Add(-29*time.Second).Unix()))},
		{name: "nbf_within_leeway_passes", token: hs(nil, with(good, "nbf", t0.Add(29*time.Second).Unix()))},
		{name: "aud_array_containing_ours_passes", token: hs(nil, with(good, "aud", []string{"other", "rampart-api"}))},
		{name: "lifetime_at_limit_passes", token: hs(nil, with(with(good, "iat", t0.Unix()), "exp", t0.Add(15*time.Minute).Unix()))},

		// Attacks that must be refused.
		{name: "alg_none", wantErr: auth.ErrInvalidToken, token: func(t testing.TB) string {
			return signToken(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, map[string]any{"kid": "hs1"}, good)
		}},
		{name: "alg_none_no_kid_single_key", wantErr: auth.ErrInvalidToken,
			cfg: func() jwt.Config { return baseConfig(jwt.Key{Secret: hmacSecret}) },
			token: func(t testing.TB) string {
				return signToken(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, nil, good)
			}},
		{name: "hs256_signed_with_rsa_public_pem", wantErr: auth.ErrInvalidToken, token: func(t testing.TB) string {
			return signToken(t, gojwt.SigningMethodHS256, k.rsaPEM, map[string]any{"kid": "rsa1"}, good)
		}},
		{name: "hs256_signed_with_rsa_public_pem_rs256_only", wantErr: auth.ErrInvalidToken,
			cfg: func() jwt.Config {
				return baseConfig(jwt.Key{Algorithm: jwt.AlgRS256, PublicKey: &k.rsa.PublicKey})
			},
			token: func(t testing.TB) string {
				return signToken(t, gojwt.SigningMethodHS256, k.rsaPEM, nil, good)
			}},
		{name: "rs256_token_under_hs_kid", wantErr: auth.ErrInvalidToken, token: func(t testing.TB) string {
			return signToken(t, gojwt.SigningMethodRS256, k.rsa, map[string]any{"kid": "hs1"}, good)
		}},
		{name: "expired_past_leeway", wantErr: auth.ErrExpired, token: hs(nil, with(good, "exp", t0.Add(-31*time.Second).Unix()))},
		{name: "nbf_in_future", wantErr: auth.ErrExpired, token: hs(nil, with(good, "nbf", t0.Add(5*time.Minute).Unix()))},
		{name: "nbf_just_past_leeway", wantErr: auth.ErrExpired, token: hs(nil, with(good, "nbf", t0.Add(31*time.Second).Unix()))},
		{name: "iat_in_future", wantErr: auth.ErrExpired, token: hs(nil, with(good, "iat", t0.Add(5*time.Minute).Unix()))},
		{name: "wrong_iss", wantErr: auth.ErrInvalidToken, token: hs(nil, with(good, "iss", "https://evil.example"))},
		{name: "missing_iss", wantErr: auth.ErrInvalidToken, token: hs(nil, with(good, "iss", nil))},
		{name: "wrong_aud", wantErr: auth.ErrInvalidToken, token: hs(nil, with(good, "aud", "other-api"))},
		{name: "missing_aud", wantErr: auth.ErrInvalidToken, token: hs(nil, with(good, "aud", nil))},
		{name: "refresh_typ_as_access", wantErr: auth.ErrInvalidToken, token: hs(map[string]any{"typ": "rt+jwt"}, good)},
		{name: "plain_jwt_typ_as_access", wantErr: auth.ErrInvalidToken, token: hs(map[string]any{"typ": "JWT"}, good)},
		{name: "missing_typ", wantErr: auth.ErrInvalidToken, token: hs(map[string]any{"typ": nil}, good)},
		{name: "opaque_refresh_token_as_access", wantErr: auth.ErrInvalidToken, token: func(testing.TB) string {
			return "q7Vq3o1m3cXb2n8yJ6x0cJp3T2oV3w0b2tq9yS8yXfE"
		}},
		{name: "tampered_payload", wantErr: auth.ErrInvalidToken, token: func(t testing.TB) string {
			tok := hs(nil, good)(t)
			other := hs(nil, with(good, "sub", "admin"))(t)
			p := strings.Split(tok, ".")
			p[1] = strings.Split(other, ".")[1]
			return strings.Join(p, ".")
		}},
		{name: "wrong_hmac_secret", wantErr: auth.ErrInvalidToken, token: func(t testing.TB) string {
			return signToken(t, gojwt.SigningMethodHS256, []byte("ffffffffffffffffffffffffffffffff"), map[string]any{"kid": "hs1"}, good)
		}},
		{name: "eddsa_signed_by_other_key", wantErr: auth.ErrInvalidToken, token: func(t testing.TB) string {
			return signToken(t, gojwt.SigningMethodEdDSA, k.otherEd, map[string]any{"kid": "ed1"}, good)
		}},
		{name: "missing_exp", wantErr: auth.ErrInvalidToken, token: hs(nil, with(good, "exp", nil))},
		{name: "exp_far_future", wantErr: auth.ErrInvalidToken, token: hs(nil, with(good, "exp", t0.Add(10*365*24*time.Hour).Unix()))},
		{name: "lifetime_past_limit", wantErr: auth.ErrInvalidToken, token: hs(nil, with(with(good, "iat", t0.Unix()), "exp", t0.Add(15*time.Minute+time.Second).Unix()))},
		{name: "missing_sub", wantErr: auth.ErrInvalidToken, token: hs(nil, with(good, "sub", nil))},
		{name: "missing_jti", wantErr: auth.ErrInvalidToken, token: hs(nil, with(good, "jti", nil))},
		{name: "missing_iat", wantErr: auth.ErrInvalidToken, token: hs(nil, with(good, "iat", nil))},
		{name: "unknown_kid", wantErr: auth.ErrInvalidToken, token: hs(map[string]any{"kid": "nope"}, good)},
		{name: "missing_kid_with_several_keys", wantErr: auth.ErrInvalidToken, token: hs(map[string]any{"kid": nil}, good)},
		{name: "kid_not_a_string", wantErr: auth.ErrInvalidToken, token: hs(map[string]any{"kid": 7}, good)},
		{name: "crit_header", wantErr: auth.ErrInvalidToken, token: hs(map[string]any{"crit": []string{"exp"}}, good)},
		{name: "oversized_token", wantErr: auth.ErrInvalidToken, token: hs(nil, with(good, "pad", strings.Repeat("a", 8<<10)))},
		{name: "empty_token", wantErr: auth.ErrInvalidToken, token: func(testing.TB) string { return "" }},
		{name: "garbage", wantErr: auth.ErrInvalidToken, token: func(testing.TB) string { return "a.b.c" }},
	}
}

func TestVerifierAttacks(t *testing.T) {
	t.Parallel()
	for _, tc := range jwtCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := mixedConfig()
			if tc.cfg != nil {
				cfg = tc.cfg()
			}
			v := mustVerifier(t, cfg)
			tok := tc.token(t)
			p, err := v.Authenticate(context.Background(), auth.Credential{Kind: auth.CredentialBearer, Value: tok})
			if tc.wantErr == nil {
				if err != nil || p == nil {
					t.Fatalf("valid token refused: p=%v err=%v", p, err)
				}
				if p.Subject != "user-1" || p.TokenID != "tok-1" || p.Method != auth.MethodJWT ||
					!p.HasRole("USER") || !p.HasScope("posts:write") || len(p.AMR) != 1 || p.ExpiresAt.IsZero() {
					t.Fatalf("principal = %+v", p)
				}
				return
			}
			if p != nil {
				t.Fatalf("refused token returned principal %+v", p)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), tok) && tok != "" {
				t.Fatalf("error leaks the token: %v", err)
			}
		})
	}
}

// TestAttacksThroughMiddleware checks that every refused token gets the
// same generic 401 and every valid one reaches the handler.
func TestAttacksThroughMiddleware(t *testing.T) {
	t.Parallel()
	for _, tc := range jwtCases() {
		if tc.name == "empty_token" {
			continue // an empty bearer value is covered by the header tests
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := mixedConfig()
			if tc.cfg != nil {
				cfg = tc.cfg()
			}
			v := mustVerifier(t, cfg)
			var got *auth.Principal
			h := auth.Middleware(v, auth.MiddlewareOptions{})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = auth.PrincipalFrom(r.Context())
			}))
			req := httptest.NewRequest(http.MethodPost, "/query", nil)
			req.Header.Set("Authorization", "Bearer "+tc.token(t))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if tc.wantErr == nil {
				if rec.Code != http.StatusOK || got == nil || got.Subject != "user-1" {
					t.Fatalf("valid token: code %d principal %v", rec.Code, got)
				}
				return
			}
			if got != nil {
				t.Fatalf("handler ran with principal %v", got)
			}
			checkUnauthorized(t, rec)
		})
	}
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	k := testKeys()
	keys := []jwt.Key{
		{ID: "hs", Secret: hmacSecret},
		{ID: "rs", Algorithm: jwt.AlgRS256, PrivateKey: k.rsa},
		{ID: "es", Algorithm: jwt.AlgES256, PrivateKey: k.ec},
		{ID: "ed", Algorithm: jwt.AlgEdDSA, PrivateKey: k.ed},
	}
	for _, key := range keys {
		t.Run(key.ID, func(t *testing.T) {
			t.Parallel()
			cfg := baseConfig(key)
			iss, err := jwt.NewIssuer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			at, err := iss.Issue(auth.Principal{Subject: "u1", Roles: []string{"ADMIN"}, Scopes: []string{"a", "b"}, AMR: []string{"pwd", "otp"}, AuthTime: t0.Add(-time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if !at.ExpiresAt.Equal(t0.Add(15*time.Minute)) || at.ID == "" {
				t.Fatalf("token = %+v", at)
			}
			// The verifier needs only the public half.
			pub := key
			if pub.PrivateKey != nil {
				pub.PublicKey, pub.PrivateKey = pub.PrivateKey.Public(), nil
			}
			p, err := mustVerifier(t, baseConfig(pub)).Verify(context.Background(), at.Token)
			if err != nil {
				t.Fatal(err)
			}
			if p.Subject != "u1" || !p.HasRole("ADMIN") || !p.HasScope("b") || p.TokenID != at.ID ||
				!p.ExpiresAt.Equal(at.ExpiresAt) || strings.Join(p.AMR, ",") != "pwd,otp" || !p.AuthTime.Equal(t0.Add(-time.Minute)) {
				t.Fatalf("principal = %+v", p)
			}
			// After the lifetime plus leeway the token has expired.
			cfg.Now = fixedClock(t0.Add(15*time.Minute + 31*time.Second))
			pub2 := baseConfig(pub)
			pub2.Now = cfg.Now
			if _, err := mustVerifier(t, pub2).Verify(context.Background(), at.Token); !errors.Is(err, auth.ErrExpired) {
				t.Fatalf("after lifetime: err = %v, want ErrExpired", err)
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	oldKey := jwt.Key{ID: "2026-01", Secret: hmacSecret}
	newKey := jwt.Key{ID: "2026-02", Secret: []byte("another-secret-of-32-bytes-long!")}
	oldIss, err := jwt.NewIssuer(baseConfig(oldKey))
	if err != nil {
		t.Fatal(err)
	}
	rotated := baseConfig(oldKey, newKey)
	rotated.SigningKeyID = "2026-02"
	newIss, err := jwt.NewIssuer(rotated)
	if err != nil {
		t.Fatal(err)
	}
	v := mustVerifier(t, rotated)
	for _, iss := range []*jwt.Issuer{oldIss, newIss} {
		at, err := iss.Issue(auth.Principal{Subject: "u"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(context.Background(), at.Token); err != nil {
			t.Fatalf("token during rotation refused: %v", err)
		}
	}
	// Once the old key is retired, its tokens are refused.
	retired := mustVerifier(t, baseConfig(newKey))
	at, _ := oldIss.Issue(auth.Principal{Subject: "u"})
	if _, err := retired.Verify(context.Background(), at.Token); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("retired key: err = %v", err)
	}
}

func TestMaxTokenBytesBoundary(t *testing.T) {
	t.Parallel()
	tok := hs(nil, goodClaims())(t)
	cfg := mixedConfig()
	cfg.MaxTokenBytes = len(tok)
	if _, err := mustVerifier(t, cfg).Verify(context.Background(), tok); err != nil {
		t.Fatalf("token at limit refused: %v", err)
	}
	cfg.MaxTokenBytes = len(tok) - 1
	if _, err := mustVerifier(t, cfg).Verify(context.Background(), tok); !errors.Is(err, auth.ErrInvalidToken) {
		t.Fatalf("token past limit: err = %v", err)
	}
}

func TestRevocation(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: t0}
	revs := jwt.NewMemoryRevocations(clock.Now)
	cfg := hsConfig()
	cfg.Now, cfg.Revocations = clock.Now, revs
	iss, err := jwt.NewIssuer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v := mustVerifier(t, cfg)
	ctx := context.Background()
	at, _ := iss.Issue(auth.Principal{Subject: "u"})
	other, _ := iss.Issue(auth.Principal{Subject: "u"})
	p, err := v.Verify(ctx, at.Token)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Revoke(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, at.Token); !errors.Is(err, auth.ErrRevoked) {
		t.Fatalf("revoked token: err = %v", err)
	}
	if _, err := v.Verify(ctx, other.Token); err != nil {
		t.Fatalf("other token refused: %v", err)
	}
	// The entry is dropped once the token has expired anyway.
	clock.Advance(16 * time.Minute)
	if revoked, _ := revs.IsRevoked(ctx, at.ID); revoked || revs.Len() != 0 {
		t.Fatalf("lapsed revocation kept: revoked=%v len=%d", revoked, revs.Len())
	}
}

type failingRevocations struct{}

func (failingRevocations) IsRevoked(context.Context, string) (bool, error) {
	return false, errors.New("redis: connection refused")
}
func (failingRevocations) Revoke(context.Context, string, time.Time) error { return nil }

func TestRevocationBackendFailsClosed(t *testing.T) {
	t.Parallel()
	cfg := hsConfig()
	cfg.Revocations = failingRevocations{}
	v := mustVerifier(t, cfg)
	tok := hs(nil, goodClaims())(t)
	p, err := v.Verify(context.Background(), tok)
	if p != nil || !errors.Is(err, auth.ErrInvalidToken) || !errors.Is(err, auth.ErrUnavailable) {
		t.Fatalf("p=%v err=%v", p, err)
	}
	h := auth.Middleware(v, auth.MiddlewareOptions{})(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("handler ran")
	}))
	req := httptest.NewRequest(http.MethodPost, "/query", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	checkGolden(t, "unavailable.golden", rec)
}

func TestMemoryRevocationsBounded(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: t0}
	revs := jwt.NewMemoryRevocations(clock.Now)
	ctx := context.Background()
	for i := range 5000 {
		_ = revs.Revoke(ctx, "id-"+string(rune('a'+i%26))+time.Duration(i).String(), clock.Now().Add(time.Minute))
		clock.Advance(time.Second)
	}
	// Only revocations younger than a minute can be live; the sweeps keep
	// the table within a small multiple of that.
	if n := revs.Len(); n > 2048 {
		t.Fatalf("table grew to %d entries", n)
	}
	if err := revs.Revoke(ctx, "past", t0); err != nil || revs.Len() > 2048 {
		t.Fatal("revocation in the past stored")
	}
}

func TestNewVerifierRejectsMisconfiguration(t *testing.T) {
	t.Parallel()
	k := testKeys()
	short := jwt.Key{Secret: hmacSecret[:31]}
	cases := []struct {
		name string
		cfg  jwt.Config
	}{
		{"no_issuer", jwt.Config{Audience: "a", Keys: []jwt.Key{{Secret: hmacSecret}}}},
		{"no_audience", jwt.Config{Issuer: "i", Keys: []jwt.Key{{Secret: hmacSecret}}}},
		{"no_keys", jwt.Config{Issuer: "i", Audience: "a"}},
		{"hmac_secret_31_bytes", baseConfig(short)},
		{"rsa_1024_bits", baseConfig(jwt.Key{Algorithm: jwt.AlgRS256, PublicKey: weakRSA(t)})},
		{"rs256_with_ec_key", baseConfig(jwt.Key{Algorithm: jwt.AlgRS256, PublicKey: &k.ec.PublicKey})},
		{"eddsa_with_rsa_key", baseConfig(jwt.Key{Algorithm: jwt.AlgEdDSA, PublicKey: &k.rsa.PublicKey})},
		{"hs256_with_public_key", baseConfig(jwt.Key{Secret: hmacSecret, PublicKey: &k.rsa.PublicKey})},
		{"alg_none", baseConfig(jwt.Key{Algorithm: "none", Secret: hmacSecret})},
		{"unsupported_hs512", baseConfig(jwt.Key{Algorithm: "HS512", Secret: hmacSecret})},
		{"two_keys_one_without_id", baseConfig(jwt.Key{ID: "a", Secret: hmacSecret}, jwt.Key{Secret: hmacSecret})},
		{"duplicate_kid", baseConfig(jwt.Key{ID: "a", Secret: hmacSecret}, jwt.Key{ID: "a", Secret: hmacSecret})},
		{"mismatched_private_key", baseConfig(jwt.Key{Algorithm: jwt.AlgEdDSA, PublicKey: k.ed.Public(), PrivateKey: k.otherEd})},
		{"negative_leeway", func() jwt.Config { c := hsConfig(); c.Leeway = -time.Second; return c }()},
		{"leeway_past_max", func() jwt.Config { c := hsConfig(); c.Leeway = jwt.MaxLeeway + 1; return c }()},
		{"lifetime_past_max", func() jwt.Config { c := hsConfig(); c.Lifetime = jwt.MaxLifetime + 1; return c }()},
		{"negative_max_bytes", func() jwt.Config { c := hsConfig(); c.MaxTokenBytes = -1; return c }()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := jwt.NewVerifier(tc.cfg); !errors.Is(err, auth.ErrConfig) {
				t.Fatalf("err = %v, want ErrConfig", err)
			}
		})
	}
	// The boundary rows that must pass.
	ok := []jwt.Config{
		baseConfig(jwt.Key{Secret: hmacSecret}), // 32 bytes, no kid
		func() jwt.Config { c := hsConfig(); c.Leeway = jwt.MaxLeeway; return c }(),
		func() jwt.Config { c := hsConfig(); c.Lifetime = jwt.MaxLifetime; return c }(),
	}
	for i, c := range ok {
		if _, err := jwt.NewVerifier(c); err != nil {
			t.Errorf("valid config %d refused: %v", i, err)
		}
	}
}

func TestNewIssuerNeedsPrivateKey(t *testing.T) {
	t.Parallel()
	k := testKeys()
	if _, err := jwt.NewIssuer(baseConfig(jwt.Key{Algorithm: jwt.AlgEdDSA, PublicKey: k.ed.Public()})); !errors.Is(err, auth.ErrConfig) {
		t.Fatalf("public-only issuer: err = %v", err)
	}
	c := hsConfig()
	c.SigningKeyID = "missing"
	if _, err := jwt.NewIssuer(c); !errors.Is(err, auth.ErrConfig) {
		t.Fatalf("unknown SigningKeyID: err = %v", err)
	}
	iss, err := jwt.NewIssuer(hsConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iss.Issue(auth.Principal{}); err == nil {
		t.Fatal("issued a token without subject")
	}
}
