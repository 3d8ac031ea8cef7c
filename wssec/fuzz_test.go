package wssec_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/wssec"
)

// FuzzCredentialFromHeader: never panics; a credential is a non-empty token
// of the accepted characters taken verbatim from one of the inputs; an
// error never comes with a credential.
func FuzzCredentialFromHeader(f *testing.F) {
	f.Add("Bearer abc.def.ghi", "", "")
	f.Add("", "key_123", "")
	f.Add("", "", "chat, bearer.abc.def")
	f.Add("Bearer a", "k", "bearer.b")
	f.Add("Basic YWxpY2U6cHc=", "", "")
	f.Add("Bearer  x y", "", "BEARER.x,bearer.")
	f.Fuzz(func(t *testing.T, authz, apiKey, protos string) {
		h := http.Header{}
		if authz != "" {
			h.Set("Authorization", authz)
		}
		if apiKey != "" {
			h.Set("X-API-Key", apiKey)
		}
		if protos != "" {
			h.Set("Sec-WebSocket-Protocol", protos)
		}
		cred, err := wssec.CredentialFromHeader(h)
		if err != nil {
			if cred != (auth.Credential{}) {
				t.Fatalf("error %v with credential %+v", err, cred)
			}
			return
		}
		if cred.Value == "" {
			if cred.Kind != 0 {
				t.Fatalf("kind without value: %+v", cred)
			}
			return
		}
		if strings.ContainsAny(cred.Value, " \t\r\n,;\"") {
			t.Fatalf("token with separator: %q", cred.Value)
		}
		if !strings.Contains(authz, cred.Value) && !strings.Contains(apiKey, cred.Value) && !strings.Contains(protos, cred.Value) {
			t.Fatalf("token %q not taken from the inputs", cred.Value)
		}
	})
}

// FuzzOriginAllowed: never panics; with no patterns only the request's own
// host passes.
func FuzzOriginAllowed(f *testing.F) {
	f.Add("https://evil.test", "ws.local")
	f.Add("http://ws.local", "ws.local")
	f.Add("null", "ws.local")
	f.Add("http://ws.local@evil.test", "ws.local")
	f.Fuzz(func(t *testing.T, origin, host string) {
		if !wssec.OriginAllowed([]string{origin}, host, nil) {
			return
		}
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, host) {
			t.Fatalf("origin %q allowed for host %q", origin, host)
		}
		_ = wssec.OriginAllowed([]string{origin}, host, []string{"*.example.com", "https://" + host})
	})
}

// FuzzParseSessionEvent: never panics; an accepted event is valid, and
// encodes back to bytes that parse to the same event.
func FuzzParseSessionEvent(f *testing.F) {
	f.Add([]byte(`{"sub":"u1","cause":"logout"}`))
	f.Add([]byte(`{"jti":"j","sub":"u","cause":"role change"}`))
	f.Add([]byte(`{"sub":"","cause":"x"}`))
	f.Add([]byte(`{"sub":"a","cause":"x"} trailing`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := wssec.ParseSessionEvent(data)
		if err != nil {
			if ev != (wssec.SessionEvent{}) {
				t.Fatalf("error %v with event %+v", err, ev)
			}
			return
		}
		if err := ev.Validate(); err != nil {
			t.Fatalf("accepted invalid event %+v: %v", ev, err)
		}
		b, err := wssec.MarshalSessionEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := wssec.ParseSessionEvent(b); err != nil || again != ev {
			t.Fatalf("round trip: %+v %v", again, err)
		}
	})
}
