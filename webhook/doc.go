// Package webhook verifies signed webhook deliveries before a handler sees
// them (OWASP API10, unsafe consumption of APIs; API2, broken
// authentication of machine callers).
//
// [New] returns an http.Handler middleware that checks an HMAC-SHA256
// signature over the raw request body in one of two schemes:
//
//   - [SchemeStripe] (the default): a header
//     "Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">",
//     as Stripe documents it. Several v1 entries may be present (the sender
//     signs with each of its active secrets during a rotation); any one
//     verifying under any configured secret passes. The timestamp must lie
//     within the tolerance window (default 5 minutes, past and future), and a
//     replay cache refuses an identical delivery seen earlier in the window.
//   - [SchemeGitHub]: "X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of body>".
//     It carries no timestamp, so the signature alone cannot stop a replay:
//     the replay cache refuses an identical body for one tolerance window
//     after it was first seen, and lasting protection needs a store of
//     delivery ids (X-GitHub-Delivery) kept by the handler.
//
// The body is read once, up to a limit (default 1 MiB, 413 above it), and
// handed to the next handler as a fresh reader over the same bytes. Every
// refusal of a signature is a 401 with one generic JSON body and code
// [CodeSignatureInvalid]; the reason goes to the logger only, so a prober
// learns nothing about which check failed.
//
// [Sign] and [SignGitHub] produce header values, for senders and tests.
package webhook
