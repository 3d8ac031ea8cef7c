// Command server runs the Rampart demo: a hardened GraphQL publishing app on
// an embedded SQLite database.
//
//	go run ./demo/server                      # development, 127.0.0.1:8080
//	JWT_SECRET=... go run ./demo/server -env production
//
// Flags have environment fallbacks: -addr (ADDR), -db (DB_PATH), -env
// (APP_ENV), -allowed-origins (ALLOWED_ORIGINS), -trusted-proxies
// (TRUSTED_PROXIES), -config (RAMPART_CONFIG: the JSON file of operation
// limits, cost and trusted documents, re-read with the manifest on
// SIGHUP: kill -HUP <pid>, and at each change with -config-watch
// (RAMPART_CONFIG_WATCH)); JWT_SECRET, REDIS_URL, DEMO_ADMIN_EMAIL and
// DEMO_ADMIN_PASSWORD are read from the environment only, so secrets never
// appear in a process listing.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/httpsec"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	redisLog := slog.New(httpsec.LogHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	redis.SetLogger(redisClientLog{newOutageLog(redisLog, "go-redis", nil)})
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "rampart-demo:", err)
		os.Exit(1)
	}
}

// run starts the server and blocks until ctx is done, then shuts down
// gracefully. When ready is non-nil it receives the listener's address once
// the server accepts connections.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, ready chan<- string) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	// SIGHUP reloads the configuration file and the trusted-documents
	// manifest; the subscription ends with the server.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	cfg.reloadOn = hup
	return serve(ctx, cfg, stderr, ready)
}

// serve runs the demo configured by cfg until ctx is done (see run), then
// drains it: the listener closes at once; in-flight HTTP requests get up to
// cfg.ShutdownTimeout to finish; every WebSocket (graphql-transport-ws and
// /chat) is closed with 1001 "going away" meanwhile. Only what outlives the
// drain timeout is cancelled.
func serve(ctx context.Context, cfg *config, stderr io.Writer, ready chan<- string) error {
	logger := slog.New(httpsec.LogHandler(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if cfg.JWTEphemeral {
		logger.Warn("JWT_SECRET not set: using a random ephemeral secret; tokens and TOTP enrolments will not survive a restart (set JWT_SECRET, at least 32 bytes, in production)")
	}
	app, err := newApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer app.Close()
	if app.metrics != nil {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("-metrics-addr: %w", err)
		}
		mctx, stopMetrics := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := app.metrics.serveMetrics(mctx, mln, logger); err != nil {
				logger.Error("metrics server failed", "error", err)
			}
		}()
		defer func() { stopMetrics(); <-done }()
		logger.Info("metrics listening", "addr", "http://"+mln.Addr().String()+"/metrics")
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := app.httpServer()
	errc := make(chan error, 1)
	scheme := "http"
	if cfg.serveTLS() {
		scheme = "https"
		go func() { errc <- srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey) }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	logger.Info("rampart demo listening", "addr", scheme+"://"+ln.Addr().String(), "env", cfg.Env, "graphql", "/query")
	if ready != nil {
		ready <- ln.Addr().String()
	}

	changed := make(chan struct{}, 1)
	if ticks := cfg.watchTicks; ticks != nil || cfg.ConfigWatch > 0 {
		if ticks == nil {
			ticker := time.NewTicker(cfg.ConfigWatch)
			defer ticker.Stop()
			ticks = ticker.C
		}
		wctx, stopWatch := context.WithCancel(context.Background())
		watched := make(chan struct{})
		go func() { defer close(watched); app.watchFiles(wctx, ticks, changed) }()
		defer func() { stopWatch(); <-watched }()
	}
	if err := waitServing(ctx, app, cfg, errc, changed); err != nil {
		return err
	}
	logger.Info("shutting down", "drain_timeout", cfg.ShutdownTimeout.String())
	drained := app.shutdown(srv, cfg.ShutdownTimeout)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if drained != nil {
		return fmt.Errorf("shutdown: %w", drained)
	}
	logger.Info("shut down cleanly")
	return nil
}

// waitServing returns when ctx is done (nil) or the server fails (its
// error), reloading the configuration meanwhile at each signal on
// cfg.reloadOn (SIGHUP) and each change the file watch reports on changed
// (app.reload logs the outcome; a refused reload keeps the configuration
// in force and the server running).
func waitServing(ctx context.Context, app *app, cfg *config, errc <-chan error, changed <-chan struct{}) error {
	for {
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
			return nil
		case <-cfg.reloadOn:
		case <-changed:
		}
		err := app.reload()
		if cfg.reloaded != nil {
			cfg.reloaded(err)
		}
	}
}

// redisClientLog routes go-redis's own log lines (pool and dial failures,
// printed with the standard log package by default) to slog, at most one a
// second with a count of the suppressed ones. redis.SetLogger is package
// state of go-redis, so only main sets it, never a library package or a
// test.
type redisClientLog struct{ out *outageLog }

// Printf implements go-redis's internal.Logging.
func (l redisClientLog) Printf(ctx context.Context, format string, v ...any) {
	l.out.failure(ctx, "client log", fmt.Errorf(format, v...))
}
