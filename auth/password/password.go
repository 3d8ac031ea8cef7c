package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/rampart-go/rampart/auth"
)

// Password policy errors, returned by CheckPolicy (and ErrInvalidUTF8 by
// CheckStrength). Their messages are safe to show to the user who chose
// the password.
var (
	ErrTooShort    = errors.New("password must be at least 12 characters")
	ErrTooLong     = errors.New("password must be at most 128 characters")
	ErrEqualsEmail = errors.New("password must not be the same as the e-mail address")
	ErrInvalidUTF8 = errors.New("password must be valid UTF-8 text")
)

// ErrMalformedHash means an encoded password hash is not a well-formed
// argon2id PHC string within the accepted parameter bounds.
var ErrMalformedHash = errors.New("auth: malformed password hash")

// Password policy bounds, counted in runes (Unicode code points).
const (
	MinRunes = 12
	MaxRunes = 128
)

// CheckPolicy checks a new password against the policy: 12 to 128
// characters (runes), valid UTF-8, and not equal to the e-mail address
// (ignoring case and surrounding spaces). The error is ErrTooShort,
// ErrTooLong, ErrEqualsEmail or ErrInvalidUTF8.
func CheckPolicy(password, email string) error {
	if !utf8.ValidString(password) {
		return ErrInvalidUTF8
	}
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinRunes:
		return ErrTooShort
	case n > MaxRunes:
		return ErrTooLong
	}
	if e := strings.TrimSpace(email); e != "" && strings.EqualFold(strings.TrimSpace(password), e) {
		return ErrEqualsEmail
	}
	return nil
}

// Params are argon2id cost parameters. The zero value means the OWASP
// Password Storage Cheat Sheet recommendation: 19 MiB of memory, 2
// iterations, 1 lane, 16-byte salt, 32-byte key.
type Params struct {
	// Memory in KiB. Zero means 19456 (19 MiB).
	Memory uint32
	// Iterations (time cost). Zero means 2.
	Iterations uint32
	// Parallelism (lanes). Zero means 1.
	Parallelism uint8
	// SaltBytes is the random salt length. Zero means 16.
	SaltBytes uint32
	// KeyBytes is the derived key length. Zero means 32.
	KeyBytes uint32
}

// Bounds applied to parameters, both configured and decoded from stored
// hashes, so that a tampered hash cannot make verification allocate
// gigabytes or spin for minutes.
const (
	maxArgonMemory     = 1 << 20 // 1 GiB in KiB
	maxArgonIterations = 64
	minSaltBytes       = 8
	maxSaltBytes       = 64
	minKeyBytes        = 16
	maxKeyBytes        = 128
	// maxVerifyBytes bounds the password bytes hashed on verification; a
	// longer input is treated as a wrong password.
	maxVerifyBytes = 4 * MaxRunes
)

func (p Params) withDefaults() Params {
	if p.Memory == 0 {
		p.Memory = 19456
	}
	if p.Iterations == 0 {
		p.Iterations = 2
	}
	if p.Parallelism == 0 {
		p.Parallelism = 1
	}
	if p.SaltBytes == 0 {
		p.SaltBytes = 16
	}
	if p.KeyBytes == 0 {
		p.KeyBytes = 32
	}
	return p
}

func (p Params) validate() error {
	switch {
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxArgonMemory:
		return fmt.Errorf("memory %d KiB outside [8*parallelism, %d]", p.Memory, maxArgonMemory)
	case p.Iterations < 1 || p.Iterations > maxArgonIterations:
		return fmt.Errorf("iterations %d outside [1, %d]", p.Iterations, maxArgonIterations)
	case p.Parallelism < 1:
		return errors.New("parallelism must be at least 1")
	case p.SaltBytes < minSaltBytes || p.SaltBytes > maxSaltBytes:
		return fmt.Errorf("salt length %d outside [%d, %d]", p.SaltBytes, minSaltBytes, maxSaltBytes)
	case p.KeyBytes < minKeyBytes || p.KeyBytes > maxKeyBytes:
		return fmt.Errorf("key length %d outside [%d, %d]", p.KeyBytes, minKeyBytes, maxKeyBytes)
	}
	return nil
}

// Hasher hashes and verifies passwords with argon2id. It is safe for
// concurrent use. Create it with NewHasher.
type Hasher struct {
	params Params
	dummy  string
}

// NewHasher returns a hasher using p (zero fields take the OWASP
// defaults). It fails with auth.ErrConfig on parameters outside sane
// bounds, and computes one hash up front for VerifyDummy.
func NewHasher(p Params) (*Hasher, error) {
	p = p.withDefaults()
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("%w: argon2id: %w", auth.ErrConfig, err)
	}
	h := &Hasher{params: p}
	dummy, err := h.Hash(rand.Text())
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// Params reports the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Hash returns the PHC-format argon2id hash of password with a fresh random
// salt: $argon2id$v=19$m=<KiB>,t=<iterations>,p=<lanes>$<salt>$<hash>, salt
// and hash in unpadded standard base64. Check the policy with
// CheckPolicy first; Hash refuses only passwords longer than the
// policy's maximum.
func (h *Hasher) Hash(password string) (string, error) {
	if len(password) > maxVerifyBytes {
		return "", fmt.Errorf("auth: argon2id: %w", ErrTooLong)
	}
	salt := make([]byte, h.params.SaltBytes)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	key := argon2.IDKey([]byte(password), salt, h.params.Iterations, h.params.Memory, h.params.Parallelism, h.params.KeyBytes)
	return EncodeHash(h.params, salt, key), nil
}

// Verify reports whether password matches encoded, comparing in constant
// time. A malformed encoded hash is an error wrapping ErrMalformedHash
// (after spending the time of a dummy verification), never a panic. The
// parameters are read from encoded, so hashes made with older parameters
// keep verifying; see NeedsRehash.
func (h *Hasher) Verify(password, encoded string) (bool, error) {
	p, salt, key, err := DecodeHash(encoded)
	if err != nil {
		h.VerifyDummy(password)
		return false, err
	}
	if len(password) > maxVerifyBytes {
		h.VerifyDummy("")
		return false, nil
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyBytes)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// VerifyDummy spends as long as Verify does on a hash made with this
// hasher's parameters, and always fails. Call it when the account does not
// exist, so that "unknown e-mail" and "wrong password" take the same time
// and cannot be told apart (no user enumeration).
func (h *Hasher) VerifyDummy(password string) {
	p, salt, key, err := DecodeHash(h.dummy)
	if err != nil {
		return // unreachable: the dummy is made by Hash
	}
	if len(password) > maxVerifyBytes {
		password = ""
	}
	got := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyBytes)
	subtle.ConstantTimeCompare(got, key)
}

// NeedsRehash reports whether encoded was made with other parameters than
// this hasher's (or is malformed), so the caller should store a new hash
// after the next successful login.
func (h *Hasher) NeedsRehash(encoded string) bool {
	p, salt, key, err := DecodeHash(encoded)
	return err != nil || p.Memory != h.params.Memory || p.Iterations != h.params.Iterations ||
		p.Parallelism != h.params.Parallelism || uint32(len(salt)) != h.params.SaltBytes ||
		uint32(len(key)) != h.params.KeyBytes
}

// EncodeHash formats an argon2id hash in PHC string format. Only
// Memory, Iterations and Parallelism of p are written; salt and key lengths
// are implied by the encoded values.
func EncodeHash(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Iterations, p.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// DecodeHash parses a PHC-format argon2id hash. It accepts exactly
// the form EncodeHash writes (version 19, parameters in m,t,p
// order, unpadded base64) with parameters within the bounds a
// Hasher accepts; anything else is an error wrapping
// ErrMalformedHash.
func DecodeHash(encoded string) (p Params, salt, key []byte, err error) {
	fail := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformedHash, why)
	}
	if len(encoded) > 512 {
		return fail("too long")
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return fail("want 5 $-separated fields")
	}
	if parts[1] != "argon2id" {
		return fail("algorithm is not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return fail("unsupported version")
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return fail("want m, t and p parameters")
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(kv[i], name)
		if !ok || digits == "" || len(digits) > 10 || (len(digits) > 1 && digits[0] == '0') {
			return fail("bad parameter " + name)
		}
		v, perr := strconv.ParseUint(digits, 10, 32)
		if perr != nil {
			return fail("bad parameter " + name)
		}
		vals[i] = v
	}
	if vals[2] > 255 {
		return fail("parallelism out of range")
	}
	salt, err = base64.RawStdEncoding.Strict().DecodeString(parts[4])
	if err != nil {
		return fail("salt is not unpadded base64")
	}
	key, err = base64.RawStdEncoding.Strict().DecodeString(parts[5])
	if err != nil {
		return fail("hash is not unpadded base64")
	}
	p = Params{
		Memory:      uint32(vals[0]),
		Iterations:  uint32(vals[1]),
		Parallelism: uint8(vals[2]),
		SaltBytes:   uint32(len(salt)),
		KeyBytes:    uint32(len(key)),
	}
	if verr := p.validate(); verr != nil {
		return fail(verr.Error())
	}
	return p, salt, key, nil
}
