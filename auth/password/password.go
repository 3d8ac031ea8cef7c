package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
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
	// MaxConcurrent caps the argon2id computations (Hash, Verify,
	// VerifyDummy) that run at once, because each one holds Memory KiB
	// until it ends: without a cap, a login flood makes memory grow with
	// the number of clients. Zero means DefaultMemoryBudget divided by
	// Memory (3 with the defaults), at least 1; rampart.Unlimited (-1)
	// removes the cap. It is not written into hashes.
	MaxConcurrent int
	// MaxWait is how long a call waits for a free slot before it fails
	// with ErrBusy. Zero means DefaultMaxWait (1 s); negative is an error.
	MaxWait time.Duration
}

// Defaults of Params.MaxConcurrent and Params.MaxWait.
const (
	// DefaultMemoryBudget is the memory, in KiB, that concurrent argon2id
	// computations may hold together when Params.MaxConcurrent is zero
	// (64 MiB).
	DefaultMemoryBudget = 64 << 10
	// DefaultMaxWait is how long a hash waits for a slot by default.
	DefaultMaxWait = time.Second
)

// ErrBusy means the hasher already runs Params.MaxConcurrent computations
// and none ended within Params.MaxWait (or the caller's context ended
// first). Nothing was computed; the caller should answer "busy, retry
// later" (HTTP 503 with Retry-After), never "wrong password".
var ErrBusy = errors.New("auth: password hashing busy: retry later")

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
	if p.MaxConcurrent == 0 {
		p.MaxConcurrent = max(1, DefaultMemoryBudget/int(p.Memory))
	}
	if p.MaxWait == 0 {
		p.MaxWait = DefaultMaxWait
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

// validateLimits checks the concurrency settings of configured Params
// (decoded hashes carry none).
func (p Params) validateLimits() error {
	switch {
	case p.MaxConcurrent < -1:
		return fmt.Errorf("MaxConcurrent %d must be positive, zero (default) or rampart.Unlimited", p.MaxConcurrent)
	case p.MaxWait < 0:
		return fmt.Errorf("MaxWait %v must not be negative", p.MaxWait)
	}
	return nil
}

// Hasher hashes and verifies passwords with argon2id. It is safe for
// concurrent use. Create it with NewHasher.
type Hasher struct {
	params Params
	dummy  string
	// slots holds one token per running computation; nil means no cap.
	slots chan struct{}
	// onHash, when set (tests only), runs inside each computation's slot.
	onHash func()
}

// NewHasher returns a hasher using p (zero fields take the OWASP
// defaults). It fails with auth.ErrConfig on parameters outside sane
// bounds, and computes one hash up front for VerifyDummy.
func NewHasher(p Params) (*Hasher, error) {
	p = p.withDefaults()
	if err := errors.Join(p.validate(), p.validateLimits()); err != nil {
		return nil, fmt.Errorf("%w: argon2id: %w", auth.ErrConfig, err)
	}
	h := &Hasher{params: p}
	if p.MaxConcurrent > 0 {
		h.slots = make(chan struct{}, p.MaxConcurrent)
	}
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
// policy's maximum. It is HashContext without a context: it fails with
// ErrBusy after Params.MaxWait.
func (h *Hasher) Hash(password string) (string, error) {
	return h.HashContext(context.Background(), password)
}

// HashContext is Hash that also stops waiting for a slot (ErrBusy) when
// ctx ends. A computation that has started always finishes.
func (h *Hasher) HashContext(ctx context.Context, password string) (string, error) {
	if len(password) > maxVerifyBytes {
		return "", fmt.Errorf("auth: argon2id: %w", ErrTooLong)
	}
	salt := make([]byte, h.params.SaltBytes)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails
	key, err := h.idKey(ctx, []byte(password), salt, h.params)
	if err != nil {
		return "", err
	}
	return EncodeHash(h.params, salt, key), nil
}

// idKey runs one argon2id computation in a slot.
func (h *Hasher) idKey(ctx context.Context, password, salt []byte, p Params) ([]byte, error) {
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	defer h.release()
	if h.onHash != nil {
		h.onHash()
	}
	return argon2.IDKey(password, salt, p.Iterations, p.Memory, p.Parallelism, p.KeyBytes), nil
}

// acquire takes a slot, waiting at most Params.MaxWait or until ctx ends.
func (h *Hasher) acquire(ctx context.Context) error {
	if h.slots == nil {
		return nil
	}
	select {
	case h.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(h.params.MaxWait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrBusy, context.Cause(ctx))
	}
}

func (h *Hasher) release() {
	if h.slots != nil {
		<-h.slots
	}
}

// Verify reports whether password matches encoded, comparing in constant
// time. A malformed encoded hash is an error wrapping ErrMalformedHash
// (after spending the time of a dummy verification), never a panic. The
// parameters are read from encoded, so hashes made with older parameters
// keep verifying; see NeedsRehash. It fails with ErrBusy (and no
// verdict) when no slot frees up within Params.MaxWait.
func (h *Hasher) Verify(password, encoded string) (bool, error) {
	return h.VerifyContext(context.Background(), password, encoded)
}

// VerifyContext is Verify that also stops waiting for a slot (ErrBusy)
// when ctx ends.
func (h *Hasher) VerifyContext(ctx context.Context, password, encoded string) (bool, error) {
	p, salt, key, err := DecodeHash(encoded)
	if err != nil {
		if berr := h.VerifyDummyContext(ctx, password); berr != nil {
			return false, berr
		}
		return false, err
	}
	if len(password) > maxVerifyBytes {
		return false, h.VerifyDummyContext(ctx, "")
	}
	got, err := h.idKey(ctx, []byte(password), salt, p)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// VerifyDummy spends as long as Verify does on a hash made with this
// hasher's parameters, and always fails. Call it when the account does not
// exist, so that "unknown e-mail" and "wrong password" take the same time
// and cannot be told apart (no user enumeration). It skips the work when
// the hasher is busy (see VerifyDummyContext).
func (h *Hasher) VerifyDummy(password string) {
	_ = h.VerifyDummyContext(context.Background(), password)
}

// VerifyDummyContext is VerifyDummy that reports ErrBusy when no slot
// freed up within Params.MaxWait or before ctx ended; the caller should
// then answer "busy" exactly as it would after Verify's ErrBusy, so that
// a busy answer reveals nothing about the account either.
func (h *Hasher) VerifyDummyContext(ctx context.Context, password string) error {
	if h.dummy == "" {
		// NewHasher's own first Hash runs before the dummy exists.
		return nil
	}
	p, salt, key, err := DecodeHash(h.dummy)
	if err != nil {
		return nil // unreachable: the dummy is made by Hash
	}
	if len(password) > maxVerifyBytes {
		password = ""
	}
	got, err := h.idKey(ctx, []byte(password), salt, p)
	if err != nil {
		return err
	}
	subtle.ConstantTimeCompare(got, key)
	return nil
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
