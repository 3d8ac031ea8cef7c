package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A flood of failures makes one line a second, with the count of the
// suppressed ones, and one "recovered" line when the dependency is back.
func TestOutageLogThrottlesAndRecovers(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	now := time.Unix(1000, 0)
	o := newOutageLog(slog.New(slog.NewTextHandler(&buf, nil)), "redis revocations", func() time.Time { return now })
	ctx, boom := context.Background(), errors.New("connection refused")
	for range 100 {
		o.failure(ctx, "degraded", boom)
	}
	now = now.Add(1500 * time.Millisecond)
	o.failure(ctx, "degraded", boom)
	o.ok(ctx)
	o.ok(ctx)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 2 failures and 1 recovery:\n%s", len(lines), buf.String())
	}
	if !strings.Contains(lines[1], "suppressed=99") || !strings.Contains(lines[2], "recovered") || !strings.Contains(lines[2], "outage=1.5s") {
		t.Fatalf("unexpected lines:\n%s", buf.String())
	}
}
