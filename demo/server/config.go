package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/rampart-go/rampart/auth/jwt"
)

// defaultShutdownTimeout is how long a stopping server drains by default.
const defaultShutdownTimeout = 10 * time.Second

// Environments the demo knows.
const (
	envDevelopment = "development"
	envProduction  = "production"
)

// config is the demo server's configuration: flags, with environment
// variables as fallbacks.
type config struct {
	Addr           string
	DB             string
	Env            string
	JWTSecret      []byte
	JWTEphemeral   bool
	RedisURL       string
	AllowedOrigins []string
	AdminEmail     string
	AdminPassword  string
	TrustedProxies []string
	// TrustedDocuments is the path of a persisted-query manifest; "" means
	// the embedded demo manifest in production and no allowlist in
	// development; "off" disables it.
	TrustedDocuments string
	// WebhookSecrets (WEBHOOK_SECRETS, comma-separated for rotation) enable
	// POST /webhooks/moderation; without them the route does not exist.
	WebhookSecrets [][]byte
	// RedisFailOpen (REDIS_FAIL_MODE=open) lets requests through, logged,
	// when Redis is down; the default fails closed with 503.
	RedisFailOpen bool
	// RedisTimeout (REDIS_TIMEOUT, a Go duration, default 100ms) bounds
	// each call to Redis; past it the call fails (and the fail mode
	// decides). Tests on a loaded machine raise it.
	RedisTimeout time.Duration
	// MFAKey (MFA_KEY, at least 32 bytes) encrypts TOTP secrets at rest;
	// empty means a key derived from JWTSecret.
	MFAKey []byte
	// MetricsAddr (-metrics-addr, METRICS_ADDR) serves Prometheus metrics
	// at GET /metrics on a separate listener; empty = off. A non-loopback
	// address needs MetricsAllowPublic (metrics.go).
	MetricsAddr        string
	MetricsAllowPublic bool
	// ConfigFile (-config, RAMPART_CONFIG) is the JSON file of the
	// reloadable configuration (reload.go): limits, cost, trusted
	// documents. Read at start and at each SIGHUP; "" means none.
	ConfigFile string
	// ConfigWatch (-config-watch, RAMPART_CONFIG_WATCH), when positive,
	// also reloads when the content of ConfigFile or of the manifest in
	// force changes, checked at this interval; 0 = SIGHUP only.
	ConfigWatch time.Duration
	// TLSCert and TLSKey, when set, make the server speak HTTPS.
	TLSCert, TLSKey string
	// ShutdownTimeout (-shutdown-timeout, SHUTDOWN_TIMEOUT) is how long a
	// stopping server lets in-flight requests finish; what is still running
	// then is cancelled. Default 10 s.
	ShutdownTimeout time.Duration
	// now is the in-memory rate limiter's clock; nil means time.Now. Only
	// tests set it (no flag or variable), so that they count what a bucket
	// allows without depending on how fast the machine runs.
	now func() time.Time
	// holdQuery, when set (tests only), runs before each /query request
	// reaches GraphQL, inside the request's lifetime: a test holds a
	// request in flight with it, without sleeping.
	holdQuery func(*http.Request)
	// reloadOn delivers the signals that reload ConfigFile and the
	// trusted-documents manifest: run sets it to SIGHUP; tests that call
	// serve send on a channel of their own. Nil: never.
	reloadOn <-chan os.Signal
	// reloaded, when set (tests only), is called after each reload with
	// its result, once the log line is written.
	reloaded func(error)
	// watchTicks, when set (tests only), replaces -config-watch's ticker:
	// each value sent checks the files once.
	watchTicks <-chan time.Time
	// subscribed, when set (tests only), is called with the post id each
	// time a commentAdded subscription is live (graph.Broker.OnSubscribe).
	subscribed func(postID string)
	// passwordVerified, when set (tests only), is called when a login's
	// password was verified, before its session is issued
	// (graph.Accounts.OnPasswordVerified).
	passwordVerified func(userID string)
	// passwordChanging, when set (tests only), is called when a password
	// change has cut the sessions, before it stores the new hash
	// (graph.Accounts.OnPasswordChanging).
	passwordChanging func(userID string)
}

// serveTLS reports whether the server terminates TLS itself.
func (c *config) serveTLS() bool { return c.TLSCert != "" }

// parseConfig reads args (without the program name) and getenv into a
// config, refusing unsafe combinations: a production server needs a
// JWT_SECRET of at least 32 bytes.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("rampart-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	def := func(key, fallback string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return fallback
	}
	origins := ""
	proxies := ""
	fs.StringVar(&c.Addr, "addr", def("ADDR", "127.0.0.1:8080"), "listen address (env ADDR)")
	fs.StringVar(&c.DB, "db", def("DB_PATH", "rampart-demo.db"), "SQLite database file, created on first start (env DB_PATH)")
	fs.StringVar(&c.Env, "env", def("APP_ENV", envDevelopment), "development or production (env APP_ENV)")
	fs.StringVar(&origins, "allowed-origins", def("ALLOWED_ORIGINS", ""), "comma-separated browser origins allowed for CORS and WebSocket (env ALLOWED_ORIGINS)")
	fs.StringVar(&proxies, "trusted-proxies", def("TRUSTED_PROXIES", ""), "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed (env TRUSTED_PROXIES)")
	fs.StringVar(&c.TLSCert, "tls-cert", def("TLS_CERT_FILE", ""), "PEM certificate: serve HTTPS (env TLS_CERT_FILE)")
	fs.StringVar(&c.TLSKey, "tls-key", def("TLS_KEY_FILE", ""), "PEM private key for -tls-cert (env TLS_KEY_FILE)")
	fs.StringVar(&c.TrustedDocuments, "trusted-documents", def("TRUSTED_DOCUMENTS", ""), `persisted-query manifest (Apollo or Relay JSON) of the only operations non-admins may run; default: the embedded demo manifest in production, none in development; "off" disables (env TRUSTED_DOCUMENTS)`)
	fs.StringVar(&c.ConfigFile, "config", def("RAMPART_CONFIG", ""), "JSON file of the reloadable configuration (limits, cost, trusted documents), re-read on SIGHUP (env RAMPART_CONFIG)")
	fs.DurationVar(&c.ConfigWatch, "config-watch", 0, "also reload when -config or the manifest it names changes, checked at this interval, such as 5s; 0 = on SIGHUP only (env RAMPART_CONFIG_WATCH)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", defaultShutdownTimeout, "how long a stopping server lets in-flight requests finish before cancelling them (env SHUTDOWN_TIMEOUT)")
	if v := getenv("SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, fmt.Errorf("SHUTDOWN_TIMEOUT: %w", err)
		}
		c.ShutdownTimeout = d
	}
	if v := getenv("RAMPART_CONFIG_WATCH"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return nil, fmt.Errorf("RAMPART_CONFIG_WATCH: %w", err)
		}
		c.ConfigWatch = d
	}
	metricsFlags(fs, def, c)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	switch c.Env {
	case envDevelopment, envProduction:
	default:
		return nil, fmt.Errorf("-env must be %q or %q, not %q", envDevelopment, envProduction, c.Env)
	}
	if c.ShutdownTimeout <= 0 {
		return nil, fmt.Errorf("-shutdown-timeout must be positive, not %v", c.ShutdownTimeout)
	}
	if c.ConfigWatch < 0 || (c.ConfigWatch > 0 && c.ConfigWatch < 100*time.Millisecond) {
		return nil, fmt.Errorf("-config-watch must be 0 (off) or at least 100ms, not %v", c.ConfigWatch)
	}
	if c.ConfigWatch > 0 && c.ConfigFile == "" {
		return nil, errors.New("-config-watch needs -config (RAMPART_CONFIG)")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return nil, errors.New("-tls-cert and -tls-key must be set together")
	}
	if err := checkMetricsAddr(c); err != nil {
		return nil, err
	}
	c.AllowedOrigins = splitList(origins)
	c.TrustedProxies = splitList(proxies)
	c.RedisURL = getenv("REDIS_URL")
	if k := getenv("MFA_KEY"); k != "" {
		if len(k) < 32 {
			return nil, fmt.Errorf("MFA_KEY is too short: %d bytes, need at least 32", len(k))
		}
		c.MFAKey = []byte(k)
	}
	c.RedisTimeout = 100 * time.Millisecond
	if v := getenv("REDIS_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > time.Minute {
			return nil, fmt.Errorf("REDIS_TIMEOUT must be a duration between 0 and 1m, such as 100ms, not %q", v)
		}
		c.RedisTimeout = d
	}
	switch mode := getenv("REDIS_FAIL_MODE"); mode {
	case "", "closed":
	case "open":
		c.RedisFailOpen = true
	default:
		return nil, fmt.Errorf("REDIS_FAIL_MODE must be open or closed, not %q", mode)
	}
	for _, s := range splitList(getenv("WEBHOOK_SECRETS")) {
		c.WebhookSecrets = append(c.WebhookSecrets, []byte(s))
	}
	c.AdminEmail = getenv("DEMO_ADMIN_EMAIL")
	c.AdminPassword = getenv("DEMO_ADMIN_PASSWORD")
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		return nil, errors.New("DEMO_ADMIN_EMAIL and DEMO_ADMIN_PASSWORD must be set together")
	}

	secret := getenv("JWT_SECRET")
	switch {
	case len(secret) >= jwt.MinHMACSecretBytes:
		c.JWTSecret = []byte(secret)
	case c.Env == envProduction && secret == "":
		return nil, fmt.Errorf("JWT_SECRET is required in production (at least %d bytes, e.g. `openssl rand -base64 48`)", jwt.MinHMACSecretBytes)
	case secret != "":
		return nil, fmt.Errorf("JWT_SECRET is too short: %d bytes, need at least %d", len(secret), jwt.MinHMACSecretBytes)
	default:
		c.JWTSecret = []byte(rand.Text() + rand.Text())
		c.JWTEphemeral = true
	}
	if c.Env == envProduction && !c.serveTLS() && len(c.TrustedProxies) == 0 {
		return nil, errors.New("production refuses plain HTTP: set -tls-cert/-tls-key, or -trusted-proxies for the TLS-terminating proxy in front")
	}
	return c, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
