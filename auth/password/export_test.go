package password

// SetOnHash installs a hook that runs inside every argon2id computation's
// slot, so tests can count and hold concurrent computations.
func SetOnHash(h *Hasher, f func()) { h.onHash = f }
