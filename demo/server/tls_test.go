package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "rampart demo test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile, pool
}

// Over TLS the demo sends HSTS; in production it refuses plain HTTP.
func TestTLSAndHSTS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t)
	s := startDemo(t, map[string]string{"APP_ENV": "production", "JWT_SECRET": strings.Repeat("k", 40),
		"TLS_CERT_FILE": certFile, "TLS_KEY_FILE": keyFile})
	base := strings.Replace(s.base, "http://", "https://", 1)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	// A document from the embedded manifest: production allows only those.
	res, err := client.Post(base+"/query", "application/json", strings.NewReader(`{"query":"query Me { me { id name email role } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("HTTPS: %d, HSTS %q", res.StatusCode, res.Header.Get("Strict-Transport-Security"))
	}
}

func TestProductionRefusesPlainHTTP(t *testing.T) {
	t.Parallel()
	s := startDemo(t, map[string]string{"APP_ENV": "production", "JWT_SECRET": strings.Repeat("k", 40), "TRUSTED_PROXIES": "127.0.0.1"})
	r := s.do("", `{ __typename }`, nil)
	if r.Status != http.StatusForbidden || r.code() != "TLS_REQUIRED" || r.Header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("plain HTTP in production: %d %q HSTS %q, want 403 TLS_REQUIRED without HSTS", r.Status, r.code(), r.Header.Get("Strict-Transport-Security"))
	}
	s.forwardedProto = "https" // the trusted proxy says the client used HTTPS
	if r := s.do("", `query Me { me { id name email role } }`, nil); r.Status != http.StatusOK || r.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("via trusted HTTPS proxy: %d, HSTS %q", r.Status, r.Header.Get("Strict-Transport-Security"))
	}
	res, err := http.Get(s.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("health probe over plain HTTP: %d, want 200", res.StatusCode)
	}
}
