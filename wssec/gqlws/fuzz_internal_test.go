package gqlws

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/wssec"
)

var incomingSeeds = []string{
	`{"type":"connection_init","payload":{"Authorization":"Bearer a.b.c","client":"web"}}`,
	`{"type":"subscribe","id":"1","payload":{"query":"subscription($r:String){events(room:$r)}","variables":{"r":"<script>x</script>lobby"}}}`,
	`{"type":"subscribe","id":"1","payload":{"query":"subscription { a(x: \"<b>\") }","variables":{"n":1e400,"l":["<i>a</i>",null]}}}`,
	`{"type":"subscribe","payload":null}`,
	`{"type":"ping"}`,
	`{"type":"complete","id":"1"}`,
	`not json`,
	`{"type":"subscribe","type":"ping","variables":1}`,
	`{"type":"subscribe","id":"1","payload":{"query":"q","Variables":{"r":"<b>x</b>"},"variables":{"s":"&"}}}`,
	`{"type":"subscribe","id":"1","payload":{"query":"q","variables":{"r":"<b>x</b>"}},"payload":{"query":"q"}}`,
	// connection_init credential shapes, agreeing and conflicting.
	`{"type":"connection_init","payload":{"authorization":"bearer a.b.c"}}`,
	`{"type":"connection_init","payload":{"Authorization":"Bearer a.b.c","token":"a.b.c"}}`,
	`{"type":"connection_init","payload":{"Authorization":"Bearer a.b.c","token":"x.y.z"}}`,
	`{"type":"connection_init","payload":{"authToken":"a.b.c","accessToken":"a.b.c","token":null}}`,
	`{"type":"connection_init","payload":{"accessToken":""}}`,
	`{"type":"connection_init","payload":{"headers":{"Authorization":"Bearer a.b.c","X-Role":"r"}}}`,
	`{"type":"connection_init","payload":{"headers":{"AUTHORIZATION":"Bearer a.b.c","authorization":"Bearer a.b.d"}}}`,
	`{"type":"connection_init","payload":{"headers":{"x-api-key":"k_1"},"apiKey":"k_1"}}`,
	`{"type":"connection_init","payload":{"headers":{"X-Api-Key":"k_1"},"token":"a.b.c"}}`,
	`{"type":"connection_init","payload":{"headers":"Authorization: Bearer a.b.c"}}`,
	`{"type":"connection_init","payload":{"headers":{"Authorization":7}}}`,
	`{"type":"connection_init","payload":{"apiKey":"k 1"}}`,
}

// FuzzIncomingMessage drives the incoming-message path that does not need
// a socket: the one decode, the variables sanitizer and the
// connection_init credential reader. Invariants: no panic; sanitising is
// idempotent; valid JSON stays valid JSON with the same keys; the GraphQL
// document is never changed; a credential never comes with an error; no
// credential key (top level or in "headers") is left in the payload.
func FuzzIncomingMessage(f *testing.F) {
	for _, s := range incomingSeeds {
		f.Add([]byte(s))
	}
	tr, err := New(Options{Options: wssec.Options{AllowAnonymous: true}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := in
		if m, err := decode(in); err == nil {
			out = tr.sanitize(in, &m)
			m2, err := decode(out)
			if err != nil {
				t.Fatalf("sanitised message does not decode: %q -> %q: %v", in, out, err)
			}
			if again := tr.sanitize(out, &m2); !bytes.Equal(again, out) {
				t.Fatalf("not idempotent:\n%q\n%q\n%q", in, out, again)
			}
		}
		if json.Valid(in) {
			if !json.Valid(out) {
				t.Fatalf("valid JSON became invalid: %q -> %q", in, out)
			}
			if a, b := keys(t, in), keys(t, out); !slices.Equal(a, b) {
				t.Fatalf("keys changed: %q -> %q", a, b)
			}
			if qa, qb := query(in), query(out); qa != qb {
				t.Fatalf("document changed: %q -> %q", qa, qb)
			}
		}
		var env struct {
			Payload json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(in, &env) == nil {
			cred, rest, err := CredentialFromInitPayload(env.Payload)
			if err != nil && (cred != auth.Credential{} || rest != nil) {
				t.Fatalf("error %v with credential %+v", err, cred)
			}
			for _, ck := range credentialKeys {
				if _, ok := rest[ck.key]; ok {
					t.Fatalf("credential key %q left in the payload", ck.key)
				}
			}
			if h, ok := rest[headersKey].(map[string]any); ok {
				if len(h) == 0 {
					t.Fatalf("empty headers left in the payload")
				}
				for name := range h {
					if _, ok := headerShape(name); ok {
						t.Fatalf("credential header %q left in the payload", name)
					}
				}
			}
		}
	})
}

func query(data []byte) string {
	var m struct {
		Payload struct {
			Query any `json:"query"`
		} `json:"payload"`
	}
	_ = json.Unmarshal(data, &m)
	b, _ := json.Marshal(m.Payload.Query)
	return string(b)
}

func keys(t *testing.T, data []byte) []string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", data, err)
	}
	var ks []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				ks = append(ks, k)
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	slices.Sort(ks)
	return slices.Compact(ks)
}
