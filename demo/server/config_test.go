package main

import (
	"io"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("s", 32)
	cases := []struct {
		name      string
		args      []string
		env       map[string]string
		wantErr   string
		ephemeral bool
	}{
		{name: "development_defaults_ephemeral_secret", ephemeral: true},
		{name: "production_without_secret_refused", args: []string{"-env", "production"}, wantErr: "JWT_SECRET is required"},
		{name: "production_secret_31_bytes_refused", args: []string{"-env", "production"}, env: map[string]string{"JWT_SECRET": long[:31]}, wantErr: "too short"},
		{name: "production_secret_32_bytes_accepted", args: []string{"-env", "production", "-trusted-proxies", "10.0.0.1"}, env: map[string]string{"JWT_SECRET": long}},
		{name: "production_plain_http_refused", args: []string{"-env", "production"}, env: map[string]string{"JWT_SECRET": long}, wantErr: "refuses plain HTTP"},
		{name: "tls_cert_without_key_refused", args: []string{"-tls-cert", "c.pem"}, wantErr: "set together"},
		{name: "development_short_secret_refused", env: map[string]string{"JWT_SECRET": "short"}, wantErr: "too short"},
		{name: "env_from_environment", env: map[string]string{"APP_ENV": "production", "JWT_SECRET": long, "TLS_CERT_FILE": "c.pem", "TLS_KEY_FILE": "k.pem"}},
		{name: "unknown_env_refused", args: []string{"-env", "staging"}, wantErr: "-env must be"},
		{name: "admin_email_without_password_refused", env: map[string]string{"DEMO_ADMIN_EMAIL": "a@example.com"}, wantErr: "set together"},
		{name: "stray_argument_refused", args: []string{"extra"}, wantErr: "unexpected arguments"},
		{name: "redis_timeout_accepted", env: map[string]string{"REDIS_TIMEOUT": "250ms"}, ephemeral: true},
		{name: "redis_timeout_malformed_refused", env: map[string]string{"REDIS_TIMEOUT": "fast"}, wantErr: "REDIS_TIMEOUT must be"},
		{name: "redis_timeout_zero_refused", env: map[string]string{"REDIS_TIMEOUT": "0s"}, wantErr: "REDIS_TIMEOUT must be"},
		{name: "config_watch_accepted", args: []string{"-config", "rampart.json", "-config-watch", "5s"}, ephemeral: true},
		{name: "config_watch_without_config_refused", env: map[string]string{"RAMPART_CONFIG_WATCH": "5s"}, wantErr: "-config-watch needs -config"},
		{name: "config_watch_too_short_refused", args: []string{"-config", "rampart.json", "-config-watch", "1ms"}, wantErr: "at least 100ms"},
		{name: "config_watch_malformed_refused", env: map[string]string{"RAMPART_CONFIG_WATCH": "often"}, wantErr: "RAMPART_CONFIG_WATCH"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if c.JWTEphemeral != tc.ephemeral || len(c.JWTSecret) < 32 {
				t.Fatalf("ephemeral = %v (secret %d bytes), want %v and >= 32 bytes", c.JWTEphemeral, len(c.JWTSecret), tc.ephemeral)
			}
			if c.Addr != "127.0.0.1:8080" {
				t.Errorf("default addr = %q", c.Addr)
			}
		})
	}
}

func TestSeededAdminCanListUsers(t *testing.T) {
	t.Parallel()
	s := startDemo(t, map[string]string{"DEMO_ADMIN_EMAIL": "root@example.com", "DEMO_ADMIN_PASSWORD": "an admin passphrase"})
	userToken, _, _ := s.register("plain@example.com", "Plain", "a long enough passphrase")
	if r := s.do(userToken, `{ users { nodes { id } } }`, nil); r.code() != "FORBIDDEN" {
		t.Fatalf("plain user listing users: code %q, want FORBIDDEN", r.code())
	}
	login := s.do("", `mutation { login(email: "root@example.com", password: "an admin passphrase") { accessToken user { role } } }`, nil)
	if dig(login.Data, "login", "user", "role") != "ADMIN" {
		t.Fatalf("admin login: %+v", login)
	}
	admin := dig(login.Data, "login", "accessToken").(string)
	r := s.do(admin, `{ users(first: 10) { nodes { email } pageInfo { hasNextPage } } }`, nil)
	nodes, _ := dig(r.Data, "users", "nodes").([]any)
	if len(nodes) != 2 {
		t.Fatalf("admin sees %d users, want 2 (%+v)", len(nodes), r)
	}
}
