package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/auth/password"
)

// lightParams keep tests fast; production uses the zero value (OWASP).
var lightParams = password.Params{Memory: 64, Iterations: 1}

func lightHasher(t testing.TB) *password.Hasher {
	t.Helper()
	h, err := password.NewHasher(lightParams)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestPasswordRoundTrip(t *testing.T) {
	t.Parallel()
	h := lightHasher(t)
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("encoded = %q", enc)
	}
	if ok, err := h.Verify("correct horse battery staple", enc); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	for _, wrong := range []string{"correct horse battery stapl", "Correct horse battery staple", "", strings.Repeat("x", 10000)} {
		if ok, err := h.Verify(wrong, enc); ok || err != nil {
			t.Fatalf("wrong password %q: %v %v", wrong[:min(len(wrong), 20)], ok, err)
		}
	}
	again, _ := h.Hash("correct horse battery staple")
	if again == enc {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	if h.NeedsRehash(enc) {
		t.Fatal("fresh hash needs rehash")
	}
	stronger, _ := password.NewHasher(password.Params{Memory: 128, Iterations: 1})
	if !stronger.NeedsRehash(enc) {
		t.Fatal("hash with weaker params does not need rehash")
	}
	// A hasher with other parameters still verifies old hashes.
	if ok, _ := stronger.Verify("correct horse battery staple", enc); !ok {
		t.Fatal("old hash no longer verifies")
	}
	h.VerifyDummy("anything") // must not panic
}

func TestPasswordDefaultsAreOWASP(t *testing.T) {
	t.Parallel()
	h, err := password.NewHasher(password.Params{})
	if err != nil {
		t.Fatal(err)
	}
	p := h.Params()
	if p.Memory != 19456 || p.Iterations != 2 || p.Parallelism != 1 || p.SaltBytes != 16 || p.KeyBytes != 32 {
		t.Fatalf("defaults = %+v", p)
	}
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	const email = "Alice@Example.com"
	cases := []struct {
		name     string
		password string
		want     error
	}{
		{"11_runes_too_short", strings.Repeat("a", 11), password.ErrTooShort},
		{"12_runes_passes", strings.Repeat("a", 12), nil},
		{"12_multibyte_runes_pass", strings.Repeat("é", 12), nil},
		{"11_multibyte_runes_too_short", strings.Repeat("é", 11), password.ErrTooShort},
		{"128_runes_passes", strings.Repeat("a", 128), nil},
		{"128_multibyte_runes_pass", strings.Repeat("日", 128), nil},
		{"129_runes_too_long", strings.Repeat("a", 129), password.ErrTooLong},
		{"equals_email", "Alice@Example.com", password.ErrEqualsEmail},
		{"equals_email_other_case", "alice@example.COM", password.ErrEqualsEmail},
		{"email_with_suffix_passes", "alice@example.com1", nil},
		{"invalid_utf8", strings.Repeat("a", 12) + "\xff", password.ErrInvalidUTF8},
		{"empty", "", password.ErrTooShort},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := password.CheckPolicy(tc.password, email); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// malformedHashes are stored hashes that must be refused with an error.
var malformedHashes = []string{
	"",
	"plaintext-password",
	"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ",
	"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$argon2id$v=19$t=1,m=64,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$argon2id$v=19$m=64,t=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$argon2id$v=19$m=-1,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$argon2id$v=19$m=064,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",  // 4 TiB of memory
	"$argon2id$v=19$m=64,t=4000000000,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", // billions of passes
	"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$argon2id$v=19$m=64,t=1,p=256$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
	"$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",       // 4-byte salt
	"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA",                  // 4-byte key
	"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA", // padding
	"$argon2id$v=19$m=64,t=1,p=1$!!!!$aGFzaGhhc2hoYXNoaGFzaA",
	"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA$extra",
	"x$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
}

func TestDecodeHashMalformed(t *testing.T) {
	t.Parallel()
	h := lightHasher(t)
	for _, enc := range malformedHashes {
		if _, _, _, err := password.DecodeHash(enc); !errors.Is(err, password.ErrMalformedHash) {
			t.Errorf("DecodeHash(%q) err = %v", enc, err)
		}
		if ok, err := h.Verify("some password", enc); ok || !errors.Is(err, password.ErrMalformedHash) {
			t.Errorf("Verify(%q) = %v, %v", enc, ok, err)
		}
	}
	// The benign counterpart: a well-formed hash at the salt and key minimums.
	good := "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
	p, salt, key, err := password.DecodeHash(good)
	if err != nil || p.Memory != 64 || len(salt) != 8 || len(key) != 16 {
		t.Fatalf("good hash: %+v %d %d %v", p, len(salt), len(key), err)
	}
	if got := password.EncodeHash(p, salt, key); got != good {
		t.Fatalf("round trip: %q", got)
	}
}

func TestNewHasherRejectsWeakParams(t *testing.T) {
	t.Parallel()
	for _, p := range []password.Params{
		{Memory: 4},
		{Memory: 64, Parallelism: 16}, // less than 8 KiB per lane
		{Memory: 1<<20 + 1},
		{Iterations: 65},
		{SaltBytes: 7},
		{KeyBytes: 15},
	} {
		if _, err := password.NewHasher(p); !errors.Is(err, auth.ErrConfig) {
			t.Errorf("params %+v: err = %v", p, err)
		}
	}
}
