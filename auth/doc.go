// Package auth says who is calling: the Principal carried in a request's
// context, and the Authenticator that produces it from a credential.
package auth
