package httpsec

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

func TestHardenServerDefaults(t *testing.T) {
	t.Parallel()
	srv := HardenServer(&http.Server{WriteTimeout: time.Minute * 5})
	if srv.ReadHeaderTimeout != DefaultReadHeaderTimeout || srv.ReadTimeout != DefaultReadTimeout ||
		srv.IdleTimeout != DefaultIdleTimeout || srv.MaxHeaderBytes != DefaultMaxHeaderBytes {
		t.Fatalf("defaults not applied: %+v", srv)
	}
	if srv.WriteTimeout != 5*time.Minute {
		t.Fatalf("explicit WriteTimeout overwritten: %v", srv.WriteTimeout)
	}
	if DefaultReadHeaderTimeout != 5*time.Second {
		t.Fatalf("DefaultReadHeaderTimeout = %v, want 5s", DefaultReadHeaderTimeout)
	}
}

// A slow-loris client opens a connection, sends part of a request line and
// stops. A hardened server must drop it once ReadHeaderTimeout passes.
func TestSlowLorisClosedByReadHeaderTimeout(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := HardenServer(&http.Server{
		Handler:           okHandler(),
		ReadHeaderTimeout: 300 * time.Millisecond,
		ErrorLog:          nil,
	})
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /query HTTP/1.1\r\nHost: x\r\nX-Slow: "); err != nil {
		t.Fatal(err)
	}
	// Generous deadline: the assertion is that the server closes the
	// connection, not how fast.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.ReadAll(conn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("server kept the half-sent request open past 10s")
	}
	if err != nil {
		var ne net.Error
		if !errors.As(err, &ne) { // a reset also means closed
			t.Fatalf("read: %v", err)
		}
	}
}

// The unhardened server (zero timeouts) is the control: it does not close
// the connection on its own, which is what makes the test above able to
// fail.
func TestSlowLorisControlUnhardened(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: okHandler()}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "POST /query HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	_, err = io.ReadAll(conn)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("unhardened server closed the connection (err = %v); the slow-loris test proves nothing", err)
	}
}
