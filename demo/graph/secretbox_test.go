package graph_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/demo/graph"
)

func TestSecretBox(t *testing.T) {
	t.Parallel()
	master := []byte(strings.Repeat("m", 32))
	box, err := graph.NewSecretBox(master, "mfa")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	sealed := box.Seal(secret)
	if strings.Contains(sealed, secret) || sealed == box.Seal(secret) {
		t.Fatalf("sealed %q reveals the secret or is deterministic", sealed)
	}
	if got, err := box.Open(sealed); err != nil || got != secret {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := graph.NewSecretBox(master, "other-purpose")
	tampered := sealed[:len(sealed)-2] + "AA"
	for name, tc := range map[string]struct {
		box *graph.SecretBox
		in  string
	}{
		"other_purpose_key": {other, sealed},
		"tampered":          {box, tampered},
		"plaintext":         {box, secret},
		"truncated":         {box, "v1:AAAA"},
		"not_base64":        {box, "v1:!!!"},
	} {
		if _, err := tc.box.Open(tc.in); !errors.Is(err, graph.ErrSealed) {
			t.Errorf("%s: err = %v, want ErrSealed", name, err)
		}
	}
	if _, err := graph.NewSecretBox(master[:31], "mfa"); err == nil {
		t.Fatal("31-byte master key accepted")
	}
}

// FuzzSecretBoxOpen: stored values are untrusted if the database is; Open
// never panics and only its own Seal output opens.
func FuzzSecretBoxOpen(f *testing.F) {
	box, err := graph.NewSecretBox([]byte(strings.Repeat("k", 32)), "mfa")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(box.Seal("x"))
	f.Add("v1:")
	f.Add("plain")
	f.Fuzz(func(t *testing.T, s string) {
		if plain, err := box.Open(s); err == nil {
			if again, err := box.Open(box.Seal(plain)); err != nil || again != plain {
				t.Fatalf("round trip of %q: %q %v", plain, again, err)
			}
		}
	})
}
