package mfa_test

import (
	"errors"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/mfa"
)

// TestFresh: a second factor proved within maxAge is fresh, up to and
// including the boundary; everything else fails closed.
func TestFresh(t *testing.T) {
	t.Parallel()
	const maxAge = 5 * time.Minute
	now := t0
	p := func(amr []string, at time.Time) *auth.Principal {
		return &auth.Principal{Subject: "alice", AMR: amr, AuthTime: at}
	}
	tests := []struct {
		name   string
		p      *auth.Principal
		maxAge time.Duration
		want   bool
	}{
		{"otp_just_now", p([]string{"pwd", "otp"}, now), maxAge, true},
		{"mfa_amr", p([]string{"mfa"}, now.Add(-time.Minute)), maxAge, true},
		{"otp_at_max_age", p([]string{"otp"}, now.Add(-maxAge)), maxAge, true},
		{"otp_past_max_age", p([]string{"otp"}, now.Add(-maxAge-time.Nanosecond)), maxAge, false},
		{"password_only", p([]string{"pwd"}, now), maxAge, false},
		{"no_amr", p(nil, now), maxAge, false},
		{"zero_auth_time", p([]string{"otp"}, time.Time{}), maxAge, false},
		{"future_within_leeway", p([]string{"otp"}, now.Add(30*time.Second)), maxAge, true},
		{"future_past_leeway", p([]string{"otp"}, now.Add(30*time.Second+time.Nanosecond)), maxAge, false},
		{"zero_max_age", p([]string{"otp"}, now), 0, false},
		{"negative_max_age", p([]string{"otp"}, now), -time.Second, false},
		{"anonymous_nil", nil, maxAge, false},
		{"anonymous_no_subject", &auth.Principal{AMR: []string{"otp"}, AuthTime: now}, maxAge, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := mfa.Fresh(tt.p, tt.maxAge, now); got != tt.want {
				t.Fatalf("Fresh = %v, want %v", got, tt.want)
			}
			err := mfa.RequireFresh(tt.p, tt.maxAge, now)
			if (err == nil) != tt.want {
				t.Fatalf("RequireFresh = %v, want ok=%v", err, tt.want)
			}
			if err != nil {
				if !errors.Is(err, mfa.ErrMFARequired) {
					t.Fatalf("RequireFresh error %v is not ErrMFARequired", err)
				}
				if c, _ := mfa.ErrorCode(err); c != rampart.CodeMFARequired {
					t.Fatalf("code %q, want %q", c, rampart.CodeMFARequired)
				}
			}
		})
	}
}

// TestErrorCode: each error maps to a stable code and a message that says
// nothing about why.
func TestErrorCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		code string
	}{
		{nil, ""},
		{mfa.ErrInvalidCode, mfa.CodeMFAInvalid},
		{errors.Join(mfa.ErrCodeReused, mfa.ErrInvalidCode), mfa.CodeMFAInvalid},
		{&mfa.TooManyAttemptsError{RetryAfter: time.Minute}, mfa.CodeTooManyAttempts},
		{mfa.ErrMFARequired, rampart.CodeMFARequired},
		{mfa.ErrUnavailable, mfa.CodeMFAUnavailable},
		{mfa.ErrInvalidSecret, mfa.CodeMFAUnavailable},
		{errors.New("anything else"), mfa.CodeMFAUnavailable},
	}
	for _, tt := range tests {
		code, msg := mfa.ErrorCode(tt.err)
		if code != tt.code || (tt.err != nil && msg == "") {
			t.Errorf("ErrorCode(%v) = %q %q, want %q", tt.err, code, msg, tt.code)
		}
	}
	if _, ok := mfa.RetryAfter(mfa.ErrInvalidCode); ok {
		t.Error("RetryAfter on a non-throttle error reported ok")
	}
}
