package wssec

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// FuzzSubprotocolNegotiation drives the subprotocol choice on an untrusted
// Sec-WebSocket-Protocol header. Invariants: no panic; the selected value
// is one the server serves and the client offered, and never carries a
// credential; an offered bearer token without a selected application
// subprotocol is detected (the upgrade is then refused).
func FuzzSubprotocolNegotiation(f *testing.F) {
	f.Add("chat, bearer.a.b.c", "chat")
	f.Add("bearer.a.b.c", "chat")
	f.Add("BEARER.x,chat.v2", "chat.v2")
	f.Add("graphql-transport-ws, bearer.", "bearer.x")
	f.Add(",,, ,", "")
	f.Fuzz(func(t *testing.T, offered, served string) {
		r := &http.Request{Header: http.Header{}}
		r.Header.Set("Sec-WebSocket-Protocol", offered)
		protos := appSubprotocols(strings.Split(served, ","))
		sel := selectSubprotocol(r, protos)
		if sel != "" {
			if isBearerSubprotocol(sel) {
				t.Fatalf("selected credential-bearing %q", sel)
			}
			if !slices.Contains(protos, sel) {
				t.Fatalf("selected %q not served %q", sel, protos)
			}
			var seen bool
			for _, p := range strings.Split(offered, ",") {
				seen = seen || strings.EqualFold(strings.TrimSpace(p), sel)
			}
			if !seen {
				t.Fatalf("selected %q not offered in %q", sel, offered)
			}
		}
		var bearer bool
		for _, p := range strings.Split(offered, ",") {
			p = strings.ToLower(strings.TrimSpace(p))
			bearer = bearer || strings.HasPrefix(p, bearerProtocolPrefix)
		}
		if got := offersBearerSubprotocol(r); got != bearer {
			t.Fatalf("offersBearerSubprotocol(%q) = %v, want %v", offered, got, bearer)
		}
	})
}
