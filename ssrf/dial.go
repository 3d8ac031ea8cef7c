package ssrf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// DialContext connects like net.Dialer.DialContext, but only to allowed
// targets: it checks the host (AllowHosts, numeric forms), the port,
// resolves the name through Resolver, refuses if any address is not
// allowed, and then dials those very addresses (never resolving twice),
// with Control as a last check on each. Networks other than tcp, tcp4 and
// tcp6 are refused.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("%w: network %q", ErrAddressNotAllowed, network)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHostNotAllowed, err)
	}
	if err := g.checkPort(port); err != nil {
		return nil, err
	}
	addrs, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	p, _ := strconv.ParseUint(port, 10, 16) // checked above
	d := net.Dialer{Timeout: g.dialTimeout(), KeepAlive: 30 * time.Second, Control: g.Control}
	var errs []error
	for _, a := range addrs {
		if network == "tcp4" && !a.Unmap().Is4() || network == "tcp6" && a.Is4() {
			continue
		}
		c, err := d.DialContext(ctx, network, netip.AddrPortFrom(a, uint16(p)).String())
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("ssrf: dial %s: no %s address", host, network)
	}
	return nil, errors.Join(errs...)
}

// Control is a net.Dialer Control function that refuses a connection to an
// address AddrAllowed refuses or to a port outside AllowPorts. It sees
// addresses only, not names, so it cannot apply AllowHosts; DialContext
// uses it as a last check. Use it directly in a dialer of your own.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrAddressNotAllowed, address)
	}
	if r := addrRefusal(ap.Addr()); r != "" {
		return fmt.Errorf("%w: %s is in %s", ErrAddressNotAllowed, ap.Addr(), r)
	}
	return g.checkPort(strconv.Itoa(int(ap.Port())))
}

// Transport returns a new *http.Transport that dials through DialContext,
// ignores proxy settings from the environment (a proxy would connect on
// our behalf, past every check) and has bounded timeouts and header sizes.
func (g *Guard) Transport() *http.Transport {
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            g.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  g.timeout(),
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

// Client returns an *http.Client using Transport, CheckRedirect and
// Timeout.
func (g *Guard) Client() *http.Client {
	return &http.Client{Transport: g.Transport(), CheckRedirect: g.CheckRedirect, Timeout: g.timeout()}
}

// CheckRedirect is an http.Client CheckRedirect function: it refuses a
// redirect whose target fails Check (a public URL redirecting to
// http://169.254.169.254/ is the classic bypass) and stops after
// MaxRedirects.
func (g *Guard) CheckRedirect(req *http.Request, via []*http.Request) error {
	limit := g.MaxRedirects
	switch {
	case limit < 0:
		return http.ErrUseLastResponse
	case limit == 0:
		limit = DefaultMaxRedirects
	}
	if len(via) >= limit {
		return fmt.Errorf("%w: %d", ErrTooManyRedirects, len(via))
	}
	return g.Check(req.Context(), req.URL.String())
}

func (g *Guard) dialTimeout() time.Duration {
	if g.DialTimeout > 0 {
		return g.DialTimeout
	}
	return DefaultDialTimeout
}

func (g *Guard) timeout() time.Duration {
	if g.Timeout > 0 {
		return g.Timeout
	}
	return DefaultTimeout
}
