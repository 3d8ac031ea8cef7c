package apikey_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/apikey"
)

// FuzzParse: no panic; an accepted key has the exact layout and its id is
// the 16 characters after the prefix.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases() {
		f.Add(tc.key)
	}
	f.Fuzz(func(t *testing.T, key string) {
		id, err := apikey.Parse(key)
		if err != nil {
			if id != "" || !errors.Is(err, auth.ErrInvalidToken) {
				t.Fatalf("id %q err %v", id, err)
			}
			return
		}
		if len(key) != apikey.Len || !strings.HasPrefix(key, apikey.Prefix) || id != key[4:20] || key[20] != '_' {
			t.Fatalf("accepted %q with id %q", key, id)
		}
		if strings.ToLower(key) != key {
			t.Fatalf("accepted non-lowercase key %q", key)
		}
	})
}
