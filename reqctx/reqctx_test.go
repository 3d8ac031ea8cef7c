package reqctx_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/rampart-go/rampart/reqctx"
)

func TestRequestID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if id := reqctx.RequestID(ctx); id != "" {
		t.Errorf("empty context: %q", id)
	}
	if id := reqctx.RequestID(reqctx.WithRequestID(ctx, "r-1")); id != "r-1" {
		t.Errorf("RequestID = %q, want r-1", id)
	}
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if ip, ok := reqctx.ClientIP(ctx); ok || ip.IsValid() {
		t.Errorf("empty context: %v %v", ip, ok)
	}
	want := netip.MustParseAddr("203.0.113.9")
	if ip, ok := reqctx.ClientIP(reqctx.WithClientIP(ctx, want)); !ok || ip != want {
		t.Errorf("ClientIP = %v %v, want %v", ip, ok, want)
	}
}
