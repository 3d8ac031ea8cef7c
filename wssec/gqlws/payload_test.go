package gqlws_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/wssec"
	"github.com/rampart-go/rampart/wssec/gqlws"
)

// TestCredentialFromInitPayload covers every credential shape a GraphQL
// client sends in connection_init, the same credential sent twice, and
// the conflicts and malformed values that are refused.
func TestCredentialFromInitPayload(t *testing.T) {
	t.Parallel()
	bearer := func(v string) auth.Credential { return auth.Credential{Kind: auth.CredentialBearer, Value: v} }
	apiKey := func(v string) auth.Credential { return auth.Credential{Kind: auth.CredentialAPIKey, Value: v} }
	cases := []struct {
		name     string
		payload  string
		want     auth.Credential
		rest     map[string]any
		conflict bool // error wraps ErrConflictingCredentials
		bad      bool // any other error
	}{
		{name: "absent", payload: ``},
		{name: "null", payload: `null`},
		{name: "empty_object", payload: `{}`, rest: map[string]any{}},
		{name: "Authorization", payload: `{"Authorization":"Bearer a.b.c","client":"web"}`, want: bearer("a.b.c"), rest: map[string]any{"client": "web"}},
		{name: "authorization_lowercase", payload: `{"authorization":"bearer a.b.c"}`, want: bearer("a.b.c"), rest: map[string]any{}},
		{name: "token", payload: `{"token":"a.b.c"}`, want: bearer("a.b.c"), rest: map[string]any{}},
		{name: "authToken", payload: `{"authToken":"a.b.c"}`, want: bearer("a.b.c"), rest: map[string]any{}},
		{name: "accessToken", payload: `{"accessToken":"a.b.c"}`, want: bearer("a.b.c"), rest: map[string]any{}},
		{name: "headers_Authorization", payload: `{"headers":{"Authorization":"Bearer a.b.c"}}`, want: bearer("a.b.c"), rest: map[string]any{}},
		{name: "headers_authorization_any_case", payload: `{"headers":{"AUTHORIZATION":"Bearer a.b.c","X-Role":"r"}}`, want: bearer("a.b.c"), rest: map[string]any{"headers": map[string]any{"X-Role": "r"}}},
		{name: "apiKey", payload: `{"apiKey":"rk_123"}`, want: apiKey("rk_123"), rest: map[string]any{}},
		{name: "headers_X-API-Key_any_case", payload: `{"headers":{"x-api-key":"rk_123"}}`, want: apiKey("rk_123"), rest: map[string]any{}},

		// The npm graphql-ws client with connectionParams
		// {Authorization: "Bearer <t>", token: "<t>"}: one credential.
		{name: "same_token_in_Authorization_and_token", payload: `{"Authorization":"Bearer a.b.c","token":"a.b.c"}`, want: bearer("a.b.c"), rest: map[string]any{}},
		{name: "same_token_in_every_bearer_key", payload: `{"Authorization":"Bearer a.b.c","authorization":"Bearer a.b.c","token":"a.b.c","authToken":"a.b.c","accessToken":"a.b.c","headers":{"Authorization":"Bearer a.b.c","authorization":"Bearer a.b.c"}}`, want: bearer("a.b.c"), rest: map[string]any{}},
		{name: "same_api_key_twice", payload: `{"apiKey":"rk_1","headers":{"X-API-Key":"rk_1"}}`, want: apiKey("rk_1"), rest: map[string]any{}},
		{name: "null_and_empty_values_are_no_credential", payload: `{"token":null,"authToken":"","Authorization":"Bearer a.b.c"}`, want: bearer("a.b.c"), rest: map[string]any{}},
		{name: "only_null_values", payload: `{"token":null,"headers":{"Authorization":""}}`, rest: map[string]any{}},
		{name: "headers_not_an_object_is_left_alone", payload: `{"headers":"x","token":"a.b.c"}`, want: bearer("a.b.c"), rest: map[string]any{"headers": "x"}},

		{name: "different_tokens_conflict", payload: `{"Authorization":"Bearer a.b.c","token":"x.y.z"}`, conflict: true},
		{name: "different_tokens_in_headers_conflict", payload: `{"token":"a.b.c","headers":{"authorization":"Bearer x.y.z"}}`, conflict: true},
		{name: "two_header_cases_conflict", payload: `{"headers":{"Authorization":"Bearer a.b.c","authorization":"Bearer x.y.z"}}`, conflict: true},
		{name: "bearer_and_api_key_conflict", payload: `{"token":"a.b.c","apiKey":"rk_1"}`, conflict: true},
		{name: "same_value_as_bearer_and_api_key_conflict", payload: `{"token":"rk_1","apiKey":"rk_1"}`, conflict: true},

		{name: "not_an_object", payload: `["a.b.c"]`, bad: true},
		{name: "token_not_a_string", payload: `{"token":7}`, bad: true},
		{name: "header_not_a_string", payload: `{"headers":{"Authorization":["Bearer a.b.c"]}}`, bad: true},
		{name: "Authorization_without_Bearer", payload: `{"Authorization":"a.b.c"}`, bad: true},
		{name: "Authorization_basic", payload: `{"Authorization":"Basic YWxpY2U6cHc="}`, bad: true},
		{name: "token_with_scheme", payload: `{"token":"Bearer a.b.c"}`, bad: true},
		{name: "api_key_with_space", payload: `{"apiKey":"rk 1"}`, bad: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cred, rest, err := gqlws.CredentialFromInitPayload(json.RawMessage(tc.payload))
			switch {
			case tc.conflict:
				if !errors.Is(err, gqlws.ErrConflictingCredentials) || !errors.Is(err, wssec.ErrUnauthenticated) {
					t.Fatalf("err %v, want ErrConflictingCredentials and wssec.ErrUnauthenticated", err)
				}
			case tc.bad:
				if err == nil || !errors.Is(err, wssec.ErrUnauthenticated) || errors.Is(err, gqlws.ErrConflictingCredentials) {
					t.Fatalf("err %v, want wssec.ErrUnauthenticated", err)
				}
			case err != nil:
				t.Fatalf("err %v", err)
			}
			if err != nil {
				if (cred != auth.Credential{}) || rest != nil {
					t.Fatalf("error with credential %+v, rest %v", cred, rest)
				}
				for _, secret := range []string{"a.b.c", "x.y.z", "rk_1", "YWxpY2U6cHc"} {
					if strings.Contains(err.Error(), secret) {
						t.Fatalf("error %q contains the credential", err)
					}
				}
				return
			}
			if cred != tc.want {
				t.Fatalf("credential %+v, want %+v", cred, tc.want)
			}
			if !reflect.DeepEqual(rest, tc.rest) {
				t.Fatalf("rest %#v, want %#v", rest, tc.rest)
			}
		})
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestInit_credentialShapes authenticates a live connection with each shape
// and refuses conflicting credentials with 4403, logging the refusal
// without the credential.
func TestInit_credentialShapes(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	o := defaultOptions(t)
	o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, _ := newGraphQLServer(t, o)
	alice, bob := token(t, "alice", t0), token(t, "bob", t0)
	for name, payload := range map[string]map[string]any{
		"Authorization":                      {"Authorization": "Bearer " + alice},
		"authorization":                      {"authorization": "Bearer " + alice},
		"token":                              {"token": alice},
		"authToken":                          {"authToken": alice},
		"accessToken":                        {"accessToken": alice},
		"headers_Authorization":              {"headers": map[string]any{"Authorization": "Bearer " + alice}},
		"headers_authorization":              {"headers": map[string]any{"authorization": "Bearer " + alice}},
		"same_token_Authorization_and_token": {"Authorization": "Bearer " + alice, "token": alice},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := dialGQL(t, s, nil)
			c.init(payload)
			c.subscribe("w", `subscription { whoami }`, nil)
			if m := c.expect("next"); string(m.Payload) != `{"data":{"whoami":"alice"}}` {
				t.Fatalf("whoami: %s", m.Payload)
			}
		})
	}
	t.Run("conflicting_tokens_4403", func(t *testing.T) {
		t.Parallel()
		c := dialGQL(t, s, nil)
		c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + alice, "token": bob}})
		if code := c.closeCode(); code != gqlws.CloseForbidden {
			t.Fatalf("close code %d, want 4403", code)
		}
		// The server logs the refusal before it closes.
		if out := logs.String(); !strings.Contains(out, "conflicting credentials") {
			t.Fatalf("refusal not logged:\n%s", out)
		}
	})
	t.Run("init_token_for_other_subject_than_handshake_4403", func(t *testing.T) {
		t.Parallel()
		c := dialGQL(t, s, map[string][]string{"Authorization": {"Bearer " + alice}})
		c.send(map[string]any{"type": "connection_init", "payload": map[string]any{"token": bob}})
		if code := c.closeCode(); code != websocket.StatusCode(wssec.CloseForbidden) {
			t.Fatalf("close code %d, want 4403", code)
		}
	})
	t.Cleanup(func() {
		if out := logs.String(); strings.Contains(out, alice) || strings.Contains(out, bob) {
			t.Errorf("a credential was logged:\n%s", out)
		}
	})
}
