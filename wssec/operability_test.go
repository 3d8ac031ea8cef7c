package wssec_test

import (
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rampart-go/rampart"
	"github.com/rampart-go/rampart/internal/oteltest"
	"github.com/rampart-go/rampart/ratelimit"
	"github.com/rampart-go/rampart/telemetry"
	"github.com/rampart-go/rampart/wssec"
)

// TestLimitsModeAndTelemetry floods a connection limited to one message an
// hour: enforced, the second message closes it with 1008, counted as a
// rejection and a close; measured, every message is echoed and the
// excess counted as measured. The open-connections gauge goes back to 0.
func TestLimitsModeAndTelemetry(t *testing.T) {
	t.Parallel()
	for _, mode := range []rampart.Mode{rampart.Enforce, rampart.Measure} {
		ins, rd := oteltest.New(t)
		clock := newClock(t0)
		srv, _ := server(t, wssec.Options{
			Authenticator: verifier(t, nil), Now: clock.Now, Telemetry: ins, LimitsMode: mode,
			MessageRate: ratelimit.Rate{Limit: 1, Period: time.Hour, Burst: 1},
		}, echo)
		c := dial(t, srv, bearer(token(t, "alice", t0)))
		write(t, c, "1")
		if got := read(t, c); got != "1" {
			t.Fatalf("%v: echo %q", mode, got)
		}
		eventually(t, "connection gauge at 1", func() bool { return rd.Sum(t, telemetry.MetricWSConnections, nil) == 1 })
		write(t, c, "2")
		write(t, c, "3")
		switch mode {
		case rampart.Enforce:
			if code := closeCode(t, c); code != wssec.CloseRateLimited {
				t.Fatalf("close %v, want 1008", code)
			}
			if got := rd.Sum(t, telemetry.MetricWSCloses, map[string]string{"rampart.ws.close_code": "1008"}); got != 1 {
				t.Errorf("1008 closes = %d, want 1", got)
			}
		case rampart.Measure:
			if read(t, c) != "2" || read(t, c) != "3" {
				t.Fatal("a measured message was not delivered")
			}
			_ = c.Close(websocket.StatusNormalClosure, "")
		}
		want := map[rampart.Mode]int64{rampart.Enforce: 1, rampart.Measure: 2}[mode]
		if got := rd.Rejections(t, telemetry.GuardWebSocket, wssec.CodeRateLimitedWS, mode.Outcome()); got != want {
			t.Errorf("%v: %s = %d, want %d", mode, mode.Outcome(), got, want)
		}
		eventually(t, "connection gauge back at 0", func() bool { return rd.Sum(t, telemetry.MetricWSConnections, nil) == 0 })
	}
}
