package directives_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/auth"
	"github.com/rampart-go/rampart/directives"
)

// TestStepUp: @stepUp fields refuse a caller without a fresh second factor
// (MFA_REQUIRED, extensions.maxAge) and let one with it through. wallet uses
// the default max age (10 minutes), transfer @stepUp(maxAge: "5m").
func TestStepUp(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	user := func(amr []string, authAgo time.Duration) *auth.Principal {
		p := &auth.Principal{Subject: "u1", Roles: []string{"USER"}, AMR: amr}
		if authAgo >= -time.Hour*24 {
			p.AuthTime = now.Add(-authAgo)
		}
		return p
	}
	const unknownAuthTime = -48 * time.Hour // sentinel: leave AuthTime zero
	const wallet = `{ wallet }`
	const transfer = `mutation { transfer(amount: 10) }`
	const changeEmail = `mutation { changeEmail(email: "new@example.com") }`
	tests := []struct {
		name       string
		opts       directives.Options
		caller     *auth.Principal
		query      string
		root       string
		wantCode   string
		wantMaxAge float64
	}{
		{"anonymous_unauthenticated_first", directives.Options{}, anonymous, wallet, "wallet", rampart.CodeUnauthenticated, 0},
		{"password_only_refused", directives.Options{}, user([]string{"pwd"}, time.Minute), wallet, "wallet", rampart.CodeMFARequired, 600},
		{"no_amr_refused", directives.Options{}, user(nil, time.Minute), wallet, "wallet", rampart.CodeMFARequired, 600},
		{"otp_fresh_allowed", directives.Options{}, user([]string{"pwd", "otp"}, time.Minute), wallet, "wallet", "", 0},
		{"mfa_fresh_allowed", directives.Options{}, user([]string{"mfa"}, 0), wallet, "wallet", "", 0},
		{"otp_at_max_age_allowed", directives.Options{}, user([]string{"otp"}, 10*time.Minute), wallet, "wallet", "", 0},
		{"otp_past_max_age_refused", directives.Options{}, user([]string{"otp"}, 10*time.Minute+time.Second), wallet, "wallet", rampart.CodeMFARequired, 600},
		{"otp_hours_old_refused", directives.Options{}, user([]string{"otp"}, 3*time.Hour), wallet, "wallet", rampart.CodeMFARequired, 600},
		{"otp_unknown_auth_time_refused", directives.Options{}, user([]string{"otp"}, unknownAuthTime), wallet, "wallet", rampart.CodeMFARequired, 600},
		{"otp_auth_time_within_skew_allowed", directives.Options{}, user([]string{"otp"}, -30*time.Second), wallet, "wallet", "", 0},
		{"otp_auth_time_in_future_refused", directives.Options{}, user([]string{"otp"}, -31*time.Second), wallet, "wallet", rampart.CodeMFARequired, 600},
		{"field_max_age_at_limit_allowed", directives.Options{}, user([]string{"otp"}, 5*time.Minute), transfer, "transfer", "", 0},
		{"field_max_age_past_limit_refused", directives.Options{}, user([]string{"otp"}, 5*time.Minute+time.Second), transfer, "transfer", rampart.CodeMFARequired, 300},
		{"mutation_without_second_factor_refused", directives.Options{}, user([]string{"pwd"}, 0), changeEmail, "changeEmail", rampart.CodeMFARequired, 600},
		{"mutation_with_second_factor_allowed", directives.Options{}, user([]string{"otp"}, time.Minute), changeEmail, "changeEmail", "", 0},
		{"option_max_age_shorter", directives.Options{StepUpMaxAge: time.Minute}, user([]string{"otp"}, 2*time.Minute), wallet, "wallet", rampart.CodeMFARequired, 60},
		{"option_max_age_does_not_override_field", directives.Options{StepUpMaxAge: time.Minute}, user([]string{"otp"}, 2*time.Minute), transfer, "transfer", "", 0},
		{"custom_methods_refuse_otp", directives.Options{StepUpMethods: []string{"hwk"}}, user([]string{"otp"}, 0), wallet, "wallet", rampart.CodeMFARequired, 600},
		{"custom_methods_allow_security_key", directives.Options{StepUpMethods: []string{"hwk"}}, user([]string{"hwk"}, 0), wallet, "wallet", "", 0},
		{"expired_credential_unauthenticated", directives.Options{}, &auth.Principal{Subject: "u1", AMR: []string{"otp"}, AuthTime: now, ExpiresAt: now}, wallet, "wallet", rampart.CodeUnauthenticated, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.Now = func() time.Time { return now }
			h := newHarness(t, tt.opts)
			res := h.do(t, tt.caller, tt.query, nil)
			if got := res.code(tt.root); got != tt.wantCode {
				t.Fatalf("code %q, want %q; %s", got, tt.wantCode, res.raw)
			}
			if tt.wantCode == "" {
				if len(res.Errors) != 0 || field(res.Data, tt.root) == nil || h.r.CallCount(tt.root) != 1 {
					t.Fatalf("want the resolver to run once and answer; %s", res.raw)
				}
				return
			}
			if n := h.r.CallCount(tt.root); n != 0 {
				t.Fatalf("resolver ran %d times despite the refusal", n)
			}
			if tt.wantCode == rampart.CodeMFARequired {
				e := errorAt(t, res, tt.root)
				if e.Extensions["maxAge"] != tt.wantMaxAge || !strings.Contains(e.Message, "second factor") {
					t.Fatalf("maxAge %v, want %v; %s", e.Extensions["maxAge"], tt.wantMaxAge, res.raw)
				}
			}
		})
	}
}
