package graph

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SecretBox encrypts small secrets at rest (TOTP secrets, which cannot be
// hashed because they must verify codes) with AES-256-GCM. A stolen
// database copy alone does not reveal them.
type SecretBox struct {
	aead cipher.AEAD
}

// sealedPrefix versions the stored format.
const sealedPrefix = "v1:"

// ErrSealed means a stored secret could not be opened: wrong key or
// tampered data.
var ErrSealed = errors.New("graph: sealed secret cannot be opened")

// NewSecretBox derives the encryption key from master (at least 32 bytes)
// with HKDF-SHA256 under a purpose label, so the same master secret used
// elsewhere (to sign tokens) yields an unrelated key here.
func NewSecretBox(master []byte, purpose string) (*SecretBox, error) {
	if len(master) < 32 {
		return nil, fmt.Errorf("graph: secret box: master key has %d bytes, need at least 32", len(master))
	}
	key, err := hkdf.Key(sha256.New, master, nil, "rampart-demo/"+purpose, 32)
	if err != nil {
		return nil, fmt.Errorf("graph: secret box: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("graph: secret box: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("graph: secret box: %w", err)
	}
	return &SecretBox{aead: aead}, nil
}

// Seal encrypts plain with a fresh random nonce.
func (b *SecretBox) Seal(plain string) string {
	nonce := make([]byte, b.aead.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails
	out := b.aead.Seal(nonce, nonce, []byte(plain), []byte(sealedPrefix))
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts a value from Seal; anything else is ErrSealed.
func (b *SecretBox) Open(sealed string) (string, error) {
	raw, ok := strings.CutPrefix(sealed, sealedPrefix)
	if !ok {
		return "", ErrSealed
	}
	data, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(data) < b.aead.NonceSize() {
		return "", ErrSealed
	}
	plain, err := b.aead.Open(nil, data[:b.aead.NonceSize()], data[b.aead.NonceSize():], []byte(sealedPrefix))
	if err != nil {
		return "", ErrSealed
	}
	return string(plain), nil
}
