package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/rampart-go/rampart/webhook"
)

// Verify Stripe-style deliveries before the handler runs; the handler reads
// the body as usual.
func Example() {
	secret := []byte("whsec_5WbX5kEWLlfzsGNjH64I8lOOqUB6e8FH")
	now := time.Unix(1_750_000_000, 0)

	verify, err := webhook.New(webhook.Options{
		Secrets: [][]byte{secret},
		Now:     func() time.Time { return now }, // omit in production
	})
	if err != nil {
		panic(err)
	}
	h := verify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Println("handler got:", string(b))
	}))

	body := `{"id":"evt_1","type":"invoice.paid"}`
	send := func(sig string) int {
		r := httptest.NewRequest(http.MethodPost, "/webhooks", strings.NewReader(body))
		r.Header.Set("Stripe-Signature", sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	sig := webhook.Sign(secret, now, []byte(body))
	fmt.Println("signed:", send(sig))
	fmt.Println("replayed:", send(sig))
	fmt.Println("forged:", send(webhook.Sign([]byte("whsec_not_the_real_secret_000"), now, []byte(body))))
	// Output:
	// handler got: {"id":"evt_1","type":"invoice.paid"}
	// signed: 200
	// replayed: 401
	// forged: 401
}

// Sign produces the header value a sender attaches. The value matches
// Python's hmac.new(secret, b"1700000000.{}", hashlib.sha256).hexdigest().
func ExampleSign() {
	sig := webhook.Sign([]byte("whsec_0123456789abcdef"), time.Unix(1_700_000_000, 0), []byte(`{}`))
	fmt.Println(sig)
	// Output:
	// t=1700000000,v1=d0c329a0542d1a8e66b0b5503cf2d2f8f8e174c98224b843c11f74ea14c341e9
}

// GitHub's scheme has no timestamp; the replay cache still refuses an
// identical body for one tolerance window.
func ExampleSignGitHub() {
	secret := []byte("gh-webhook-secret-0123456789")
	v, err := webhook.NewVerifier(webhook.Options{Secrets: [][]byte{secret}, Scheme: webhook.SchemeGitHub})
	if err != nil {
		panic(err)
	}
	body := []byte(`{"action":"opened"}`)
	sig := webhook.SignGitHub(secret, body)
	fmt.Println(strings.HasPrefix(sig, "sha256="), len(sig))
	fmt.Println(v.Verify(sig, body))
	fmt.Println(v.Verify(sig, body))
	// Output:
	// true 71
	// <nil>
	// webhook: delivery replayed: identical delivery accepted earlier in the window
}
