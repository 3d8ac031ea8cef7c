package ssrf

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
)

// loopbackServer counts the requests it serves.
func loopbackServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func secretHandler(w http.ResponseWriter, _ *http.Request) {
	_, _ = io.WriteString(w, "ami-id: i-0123 (internal)")
}

func TestGuardedClientRefusesLoopback(t *testing.T) {
	t.Parallel()
	srv, hits := loopbackServer(t, secretHandler)

	// A plain client reaches the internal service: the attack surface.
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatalf("plain client: %v", err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Fatalf("plain client did not reach the server")
	}

	// The guarded client refuses at dial time (any port allowed, so the
	// refusal is the address's).
	g := &Guard{InsecureAllowAnyPort: true}
	_, err = g.Client().Get(srv.URL)
	if !errors.Is(err, ErrAddressNotAllowed) {
		t.Fatalf("guarded client: %v, want ErrAddressNotAllowed", err)
	}
	if hits.Load() != 1 {
		t.Errorf("guarded client reached the server")
	}
}

func TestDNSRebindingRefusedAtDial(t *testing.T) {
	t.Parallel()
	srv, hits := loopbackServer(t, secretHandler)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	res := &rebindingResolver{}
	g := &Guard{Resolver: res, InsecureAllowAnyPort: true}
	target := "http://rebind.test:" + port + "/latest/meta-data"

	// At validation the name looks public...
	if err := g.Check(context.Background(), target); err != nil {
		t.Fatalf("Check: %v", err)
	}
	// ...and when the client connects it resolves to loopback.
	_, err := g.Client().Get(target)
	if !errors.Is(err, ErrAddressNotAllowed) {
		t.Fatalf("rebinding: %v, want ErrAddressNotAllowed", err)
	}
	if hits.Load() != 0 {
		t.Error("request reached the loopback server")
	}
}

func TestControlRefusesAtConnect(t *testing.T) {
	t.Parallel()
	srv, hits := loopbackServer(t, secretHandler)
	g := &Guard{InsecureAllowAnyPort: true}
	// A dialer of the caller's own, with only the Control hook.
	d := &net.Dialer{Control: g.Control}
	_, err := d.DialContext(context.Background(), "tcp", srv.Listener.Addr().String())
	if !errors.Is(err, ErrAddressNotAllowed) {
		t.Fatalf("Control: %v, want ErrAddressNotAllowed", err)
	}
	if hits.Load() != 0 {
		t.Error("connection reached the server")
	}
	for _, tt := range []struct {
		network, addr string
		want          error
	}{
		{"tcp4", "93.184.215.14:443", nil},
		{"tcp6", "[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:80", nil},
		{"tcp4", "127.0.0.1:443", ErrAddressNotAllowed},
		{"tcp4", "169.254.169.254:80", ErrAddressNotAllowed},
		{"tcp6", "[::ffff:10.0.0.1]:80", ErrAddressNotAllowed},
		{"tcp4", "garbage", ErrAddressNotAllowed},
	} {
		if err := g.Control(tt.network, tt.addr, nil); !errors.Is(err, tt.want) {
			t.Errorf("Control(%s) = %v, want %v", tt.addr, err, tt.want)
		}
	}
	if err := (&Guard{}).Control("tcp4", "93.184.215.14:8080", nil); !errors.Is(err, ErrPortNotAllowed) {
		t.Errorf("default ports at dial time: %v", err)
	}
}

func TestDialContextRefusals(t *testing.T) {
	t.Parallel()
	g := &Guard{Resolver: testResolver()}
	ctx := context.Background()
	for _, tt := range []struct {
		network, addr string
		want          error
	}{
		{"udp", "example.com:443", ErrAddressNotAllowed},
		{"tcp", "example.com", ErrHostNotAllowed},
		{"tcp", "example.com:8080", ErrPortNotAllowed},
		{"tcp", "localhost:80", ErrAddressNotAllowed},
		{"tcp", "2130706433:80", ErrHostNotAllowed},
		{"tcp", "[::1]:443", ErrAddressNotAllowed},
		{"tcp", "nxdomain.test:443", ErrResolve},
	} {
		if _, err := g.DialContext(ctx, tt.network, tt.addr); !errors.Is(err, tt.want) {
			t.Errorf("DialContext(%s, %s) = %v, want %v", tt.network, tt.addr, err, tt.want)
		}
	}
	// tcp6 with only IPv4 addresses: nothing to dial, no connection made.
	only4 := &Guard{Resolver: fakeResolver{"v4only.test": {"93.184.215.14"}}}
	if _, err := only4.DialContext(ctx, "tcp6", "v4only.test:443"); err == nil {
		t.Error("tcp6 dial to an IPv4-only name succeeded")
	}
}

func TestRedirectToMetadataRefused(t *testing.T) {
	t.Parallel()
	srv, hits := loopbackServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/iam/security-credentials/", http.StatusFound)
	})
	g := &Guard{Resolver: testResolver()}
	// The transport pretends example.com is the loopback server; only the
	// redirect policy is under test here.
	c := &http.Client{
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", srv.Listener.Addr().String())
		}},
		CheckRedirect: g.CheckRedirect,
	}
	_, err := c.Get("http://example.com/avatar.png")
	if !errors.Is(err, ErrAddressNotAllowed) {
		t.Fatalf("redirect to metadata: %v, want ErrAddressNotAllowed", err)
	}
	if hits.Load() != 1 {
		t.Errorf("server hit %d times, want 1", hits.Load())
	}
}

func TestCheckRedirect(t *testing.T) {
	t.Parallel()
	req := func(u string) *http.Request {
		return &http.Request{URL: must(url.Parse(u)), Header: http.Header{}}
	}
	g := &Guard{Resolver: testResolver()}
	if err := g.CheckRedirect(req("https://api.example.com/next"), []*http.Request{req("https://example.com/")}); err != nil {
		t.Errorf("public redirect: %v", err)
	}
	if err := g.CheckRedirect(req("file:///etc/passwd"), nil); !errors.Is(err, ErrSchemeNotAllowed) {
		t.Errorf("redirect to file: %v", err)
	}
	via := make([]*http.Request, DefaultMaxRedirects-1)
	if err := g.CheckRedirect(req("https://example.com/"), via); err != nil {
		t.Errorf("redirect %d (at the limit): %v", len(via)+1, err)
	}
	via = append(via, req("https://example.com/"))
	if err := g.CheckRedirect(req("https://example.com/"), via); !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("redirect %d (past the limit): %v", len(via)+1, err)
	}
	none := &Guard{Resolver: testResolver(), MaxRedirects: -1}
	if err := none.CheckRedirect(req("https://example.com/"), via[:1]); !errors.Is(err, http.ErrUseLastResponse) {
		t.Errorf("MaxRedirects -1: %v", err)
	}
}

func TestTransportSettings(t *testing.T) {
	t.Parallel()
	g := &Guard{}
	tr := g.Transport()
	if tr.Proxy != nil {
		t.Error("Transport honours proxy settings: a proxy would connect past the checks")
	}
	if tr.DialContext == nil || tr.TLSHandshakeTimeout == 0 || tr.ResponseHeaderTimeout == 0 || tr.MaxResponseHeaderBytes == 0 {
		t.Errorf("Transport lacks a dialer or a timeout: %+v", tr)
	}
	c := g.Client()
	if c.Timeout != DefaultTimeout || c.CheckRedirect == nil {
		t.Errorf("Client: timeout %v, CheckRedirect set %v", c.Timeout, c.CheckRedirect != nil)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
