// Package password stores and vets the passwords behind package auth's
// logins.
//
//   - Hasher hashes passwords with argon2id in PHC format (OWASP
//     parameters by default) and verifies them in constant time;
//     VerifyDummy makes an unknown e-mail address cost as long as a wrong
//     password, so accounts cannot be enumerated by timing.
//   - CheckPolicy checks a new password's length (12 to 128 runes) and
//     that it is not the e-mail address.
//   - CheckStrength refuses passwords attackers try first, using zxcvbn's
//     estimate of how many guesses a password needs, with a message for
//     the user; EstimateStrength drives a strength meter.
//
// Errors meant for the user (ErrTooShort, ErrTooLong, ErrEqualsEmail,
// ErrInvalidUTF8, *WeakError) say nothing about the stored hash; unsafe
// parameters fail with an error wrapping auth.ErrConfig.
//
// The package is the only part of auth that links golang.org/x/crypto/argon2
// and github.com/trustelem/zxcvbn, so servers that only check callers
// (auth.Middleware, the GraphQL and WebSocket guards) do not pay for them.
package password
