package gqlws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/wssec"
)

// ErrConflictingCredentials means a connection_init payload carried two
// different credentials (for example a "token" and an "Authorization" for
// different tokens, or a bearer token and an API key). It is wrapped together
// with wssec.ErrUnauthenticated; the connection is closed with 4403.
var ErrConflictingCredentials = errors.New("gqlws: conflicting credentials in connection_init")

// credentialShape is how one payload key carries a credential.
type credentialShape int

const (
	shapeAuthorization credentialShape = iota // "Bearer <token>"
	shapeBareToken                            // "<token>"
	shapeAPIKey                               // "<key>"
)

// credentialKeys are the top-level connection_init keys that carry a
// credential, in the order they are read, and how each carries it. Clients
// use different ones: "Authorization" (graphql-ws examples, urql), "authToken"
// (Apollo Client examples), "token", "accessToken", "apiKey".
var credentialKeys = []struct {
	key   string
	shape credentialShape
}{
	{"Authorization", shapeAuthorization},
	{"authorization", shapeAuthorization},
	{"token", shapeBareToken},
	{"authToken", shapeBareToken},
	{"accessToken", shapeBareToken},
	{"apiKey", shapeAPIKey},
}

// headersKey is the connection_init key holding HTTP-style headers
// ({"headers": {"Authorization": "Bearer <token>"}}), as clients that reuse
// their HTTP link's headers send them.
const headersKey = "headers"

// headerShape reports how a header inside "headers" carries a credential;
// header names match in any letter case.
func headerShape(name string) (credentialShape, bool) {
	switch {
	case strings.EqualFold(name, "Authorization"):
		return shapeAuthorization, true
	case strings.EqualFold(name, "X-API-Key"):
		return shapeAPIKey, true
	}
	return 0, false
}

// CredentialFromInitPayload reads the credential of a connection_init
// payload. Accepted shapes:
//
//	{"Authorization": "Bearer <token>"}  (or "authorization")
//	{"token": "<token>"}, {"authToken": "<token>"}, {"accessToken": "<token>"}
//	{"headers": {"Authorization": "Bearer <token>"}}  (header name in any case)
//	{"apiKey": "<key>"}, {"headers": {"X-API-Key": "<key>"}}  (any case)
//
// Several keys carrying the same credential are one credential (clients
// often send the token twice); two different credentials are an error
// wrapping ErrConflictingCredentials. A null or empty value is no
// credential. It also returns the payload without the credential keys (and
// without the credential headers inside "headers", dropping "headers" when
// nothing else is left in it), which is what gqlgen and the resolvers see.
// An absent or null payload has no credential; a payload that is not an
// object, a credential that is not a string or is malformed, and
// conflicting credentials are errors wrapping wssec.ErrUnauthenticated.
// Error messages name the keys, never the credential.
func CredentialFromInitPayload(payload json.RawMessage) (auth.Credential, map[string]any, error) {
	payload = bytes.TrimSpace(payload)
	if len(payload) == 0 || bytes.Equal(payload, []byte("null")) {
		return auth.Credential{}, nil, nil
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return auth.Credential{}, nil, fmt.Errorf("%w: connection_init payload is not an object: %w", wssec.ErrUnauthenticated, auth.ErrInvalidToken)
	}
	var (
		found    auth.Credential
		foundKey string
	)
	add := func(key string, v any, shape credentialShape) error {
		cred, err := credentialOf(key, v, shape)
		if err != nil || cred.Value == "" {
			return err
		}
		switch {
		case found.Value == "":
			found, foundKey = cred, key
		case found != cred:
			return fmt.Errorf("%w: %w: %s and %s differ: %w", wssec.ErrUnauthenticated, ErrConflictingCredentials, foundKey, key, auth.ErrInvalidToken)
		}
		return nil
	}
	for _, ck := range credentialKeys {
		v, ok := m[ck.key]
		if !ok {
			continue
		}
		delete(m, ck.key)
		if err := add(ck.key, v, ck.shape); err != nil {
			return auth.Credential{}, nil, err
		}
	}
	if h, ok := m[headersKey].(map[string]any); ok {
		names := make([]string, 0, len(h))
		for name := range h {
			names = append(names, name)
		}
		sort.Strings(names) // deterministic error messages
		for _, name := range names {
			shape, ok := headerShape(name)
			if !ok {
				continue
			}
			v := h[name]
			delete(h, name)
			if err := add(headersKey+"."+name, v, shape); err != nil {
				return auth.Credential{}, nil, err
			}
		}
		if len(h) == 0 {
			delete(m, headersKey)
		}
	}
	return found, m, nil
}

// credentialOf parses the value of one credential key; a null or empty
// value is no credential.
func credentialOf(key string, v any, shape credentialShape) (auth.Credential, error) {
	if v == nil {
		return auth.Credential{}, nil
	}
	s, ok := v.(string)
	if !ok {
		return auth.Credential{}, fmt.Errorf("%w: %s is not a string: %w", wssec.ErrUnauthenticated, key, auth.ErrInvalidToken)
	}
	if strings.TrimSpace(s) == "" {
		return auth.Credential{}, nil
	}
	h := http.Header{}
	switch shape {
	case shapeBareToken:
		h.Set("Authorization", "Bearer "+s)
	case shapeAPIKey:
		h.Set("X-API-Key", s)
	default:
		h.Set("Authorization", s)
	}
	cred, err := wssec.CredentialFromHeader(h)
	if err != nil {
		return auth.Credential{}, fmt.Errorf("%w: malformed %s: %w", wssec.ErrUnauthenticated, key, auth.ErrInvalidToken)
	}
	return cred, nil
}
