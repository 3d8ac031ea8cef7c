package gqlws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/wssec"
)

// Credential keys read from a connection_init payload.
var credentialKeys = []string{"Authorization", "authorization", "token", "apiKey"}

// CredentialFromInitPayload reads the credential of a connection_init
// payload: "Authorization" (or "authorization") as "Bearer <token>", a bare
// bearer token in "token", or an API key in "apiKey". It also returns the
// payload without those keys, which is what gqlgen and the resolvers see.
// An absent or null payload has no credential; a payload that is not an
// object, a credential that is not a string or is malformed, and more than
// one credential are errors wrapping wssec.ErrUnauthenticated.
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
	h := http.Header{}
	for _, k := range credentialKeys {
		v, ok := m[k]
		if !ok {
			continue
		}
		delete(m, k)
		s, ok := v.(string)
		if !ok {
			return auth.Credential{}, nil, fmt.Errorf("%w: %s is not a string: %w", wssec.ErrUnauthenticated, k, auth.ErrInvalidToken)
		}
		switch k {
		case "token":
			h.Add("Authorization", "Bearer "+s)
		case "apiKey":
			h.Add("X-API-Key", s)
		default:
			h.Add("Authorization", s)
		}
	}
	cred, err := wssec.CredentialFromHeader(h)
	if err != nil {
		return auth.Credential{}, nil, err
	}
	return cred, m, nil
}
