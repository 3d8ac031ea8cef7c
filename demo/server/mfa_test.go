package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart/demo/graph/store"
)

func TestMFALoginStepUpAndReplay(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	const email, pw = "mfa@example.com", "a long enough passphrase"
	tok, _, _ := s.register(email, "Mfa", pw)
	_, secret := s.withMFA(tok)
	const login = `mutation($e: String!, $p: String!, $o: String) { login(email: $e, password: $p, otp: $o) { accessToken } }`

	// Without a code the right password is not enough; a wrong password
	// still says nothing about MFA.
	if r := s.do("", login, map[string]any{"e": email, "p": pw}); r.code() != "MFA_REQUIRED" {
		t.Fatalf("login without otp: %q, want MFA_REQUIRED", r.code())
	}
	if r := s.do("", login, map[string]any{"e": email, "p": "not the passphrase!"}); r.code() != "INVALID_CREDENTIALS" {
		t.Fatalf("wrong password: %q, want INVALID_CREDENTIALS", r.code())
	}
	// A fresh code (the next step: confirmMFA used the current one) logs in once...
	code := totpCode(t, secret, time.Now().Add(30*time.Second))
	ok := s.do("", login, map[string]any{"e": email, "p": pw, "o": code})
	if dig(ok.Data, "login", "accessToken") == nil {
		t.Fatalf("login with otp: %+v", ok.Errors)
	}
	// ...and its replay is refused.
	if r := s.do("", login, map[string]any{"e": email, "p": pw, "o": code}); r.code() != "MFA_INVALID" {
		t.Fatalf("replayed otp: %q, want MFA_INVALID", r.code())
	}
}

func TestMFABruteForceThrottled(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	tok, _, _ := s.register("guess@example.com", "Guess", "a long enough passphrase")
	_, secret := s.withMFA(tok)
	now := time.Now()
	valid := map[string]bool{}
	for d := -2; d <= 2; d++ {
		valid[totpCode(t, secret, now.Add(time.Duration(d)*30*time.Second))] = true
	}
	const step = `mutation($c: String!) { stepUp(code: $c) { accessToken } }`
	codes := []string{}
	for n := 0; len(codes) < 6; n++ {
		c := fmt.Sprintf("%06d", n)
		if !valid[c] {
			codes = append(codes, c)
		}
	}
	for i, c := range codes[:5] {
		if r := s.do(tok, step, map[string]any{"c": c}); r.code() != "MFA_INVALID" {
			t.Fatalf("guess %d: %q, want MFA_INVALID", i+1, r.code())
		}
	}
	r := s.do(tok, step, map[string]any{"c": codes[5]})
	if r.code() != "MFA_TOO_MANY_ATTEMPTS" {
		t.Fatalf("6th guess: %q, want MFA_TOO_MANY_ATTEMPTS", r.code())
	}
	// Even the right code waits out the lockout.
	if r := s.do(tok, step, map[string]any{"c": totpCode(t, secret, time.Now().Add(30*time.Second))}); r.code() != "MFA_TOO_MANY_ATTEMPTS" {
		t.Fatalf("right code while locked: %q, want MFA_TOO_MANY_ATTEMPTS", r.code())
	}
}

func TestMFARecoveryCodeWorksOnce(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	tok, _, _ := s.register("lost@example.com", "Lost", "a long enough passphrase")
	r := s.do(tok, `mutation { enrollMFA { secret recoveryCodes } }`, nil)
	secret := dig(r.Data, "enrollMFA", "secret").(string)
	codes := dig(r.Data, "enrollMFA", "recoveryCodes").([]any)
	if len(codes) < 5 {
		t.Fatalf("recovery codes: %v", codes)
	}
	s.do(tok, `mutation($c: String!) { confirmMFA(code: $c) { accessToken } }`, map[string]any{"c": totpCode(t, secret, time.Now())})
	const step = `mutation($c: String!) { stepUp(code: $c) { accessToken } }`
	if r := s.do(tok, step, map[string]any{"c": codes[0]}); dig(r.Data, "stepUp", "accessToken") == nil {
		t.Fatalf("recovery code: %+v", r.Errors)
	}
	if r := s.do(tok, step, map[string]any{"c": codes[0]}); r.code() != "MFA_INVALID" {
		t.Fatalf("reused recovery code: %q, want MFA_INVALID", r.code())
	}
}

func TestWeakPasswordsRefusedWithAReason(t *testing.T) {
	t.Parallel()
	s := startDemo(t, nil)
	for _, pw := range []string{"password1234", "P@ssw0rd1234", "qwertyuiop123", "weak@example.com1"} {
		r := s.do("", registerMutation, map[string]any{"in": map[string]any{"email": "weak@example.com", "name": "Weak", "password": pw}})
		if r.code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "guess") {
			t.Errorf("%q: %q %+v, want BAD_USER_INPUT explaining it is easy to guess", pw, r.code(), r.Errors)
		}
	}
}

// TOTP secrets are encrypted at rest: a copy of the database does not
// reveal them.
func TestMFASecretsEncryptedAtRest(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "demo.db")
	s := startDemoDB(t, map[string]string{"MFA_KEY": strings.Repeat("q", 32)}, db)
	tok, _, id := s.register("rest@example.com", "Rest", "a long enough passphrase")
	_, secret := s.withMFA(tok)
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := st.MFA(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Secret == "" || strings.Contains(m.Secret, secret) || !strings.HasPrefix(m.Secret, "v1:") {
		t.Fatalf("stored secret %q: want sealed, not containing %q", m.Secret, secret)
	}
}
