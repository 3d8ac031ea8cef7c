package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/rampart-go/rampart/telemetry"
)

// demoMetrics is the demo's OpenTelemetry wiring: the SDK's meter provider
// read by the Prometheus exporter into a private registry (never the
// global one), and the Rampart instruments built on it.
type demoMetrics struct {
	ins      *telemetry.Instruments
	provider *sdkmetric.MeterProvider
	handler  http.Handler // Prometheus text format
}

// metricsFlags adds -metrics-addr and -metrics-allow-public to fs.
func metricsFlags(fs *flag.FlagSet, def func(key, fallback string) string, c *config) {
	fs.StringVar(&c.MetricsAddr, "metrics-addr", def("METRICS_ADDR", ""), "serve Prometheus metrics at GET /metrics on this separate address, loopback only unless -metrics-allow-public; empty = off (env METRICS_ADDR)")
	fs.BoolVar(&c.MetricsAllowPublic, "metrics-allow-public", def("METRICS_ALLOW_PUBLIC", "") == "true", "allow a non-loopback -metrics-addr (env METRICS_ALLOW_PUBLIC=true)")
}

// checkMetricsAddr refuses a -metrics-addr that is not host:port, or whose
// host is not a loopback address (or "localhost") unless explicitly
// allowed: metrics reveal traffic patterns and attack volumes.
func checkMetricsAddr(c *config) error {
	if c.MetricsAddr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(c.MetricsAddr)
	if err != nil {
		return fmt.Errorf("-metrics-addr: %w", err)
	}
	if c.MetricsAllowPublic || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-metrics-addr %q is not a loopback address: metrics would be public; set -metrics-allow-public (METRICS_ALLOW_PUBLIC=true) if a firewall or proxy protects it", c.MetricsAddr)
}

// newDemoMetrics builds the instruments when -metrics-addr is set, and
// returns nil (no instruments: every guard records nothing) otherwise.
func newDemoMetrics(c *config) (*demoMetrics, error) {
	if c.MetricsAddr == "" {
		return nil, nil
	}
	reg := prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	ins, err := telemetry.New(telemetry.Options{MeterProvider: mp})
	if err != nil {
		return nil, err
	}
	return &demoMetrics{ins: ins, provider: mp, handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}, nil
}

// instruments returns the instruments, nil when metrics are off.
func (a *app) instruments() *telemetry.Instruments {
	if a.metrics == nil {
		return nil
	}
	return a.metrics.ins
}

// metricsMux serves GET /metrics and nothing else.
func (m *demoMetrics) metricsMux() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.handler)
	return mux
}

// serveMetrics serves /metrics on ln until ctx is done, then shuts the
// listener down; it returns when the server has stopped.
func (m *demoMetrics) serveMetrics(ctx context.Context, ln net.Listener, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           m.metricsMux(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// close flushes nothing (the exporter is pull-based) and releases the
// meter provider.
func (m *demoMetrics) close() {
	if m != nil {
		_ = m.provider.Shutdown(context.Background())
	}
}
