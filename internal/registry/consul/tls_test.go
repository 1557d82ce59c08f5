package consul

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/testserver"
)

// writeCA writes a test CA and a server certificate for 127.0.0.1 signed
// by it, and returns their paths.
func writeCA(t *testing.T) (caFile, certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "msctl test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "server.dc1.consul"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"server.dc1.consul", "localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	write := func(name, typ string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", der), write("server-key.pem", "EC PRIVATE KEY", keyDER)
}

// TestTLS talks HTTPS with a client certificate (mTLS: the agent verifies
// incoming connections) to a real agent: verified with --ca-file, refused
// without it (one clear line, not "unreachable"), accepted with
// --tls-skip-verify. The server certificate doubles as the client's.
func TestTLS(t *testing.T) {
	ca, cert, key := writeCA(t)
	ports, err := testserver.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	testserver.StartConsul(t, testserver.ConsulOptions{HCL: fmt.Sprintf(`ports { https = %d }
tls { defaults { ca_file = %q
  cert_file = %q
  key_file = %q
  verify_incoming = true } }`, ports[0], ca, cert, key)})
	addr := fmt.Sprintf("https://127.0.0.1:%d", ports[0])
	ctx := context.Background()

	r := open(t, config.Context{Address: addr, CAFile: ca, CertFile: cert, KeyFile: key})
	if _, err := r.Services(ctx, registry.Query{}); err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	// A CA alone (no scheme) means TLS.
	r = open(t, config.Context{Address: fmt.Sprintf("127.0.0.1:%d", ports[0]), CAFile: ca, CertFile: cert, KeyFile: key})
	if _, err := r.Services(ctx, registry.Query{}); err != nil {
		t.Fatalf("with the CA and no scheme: %v", err)
	}
	r = open(t, config.Context{Address: addr, CertFile: cert, KeyFile: key})
	_, err = r.Services(ctx, registry.Query{})
	if !errors.Is(err, registry.ErrTLSVerification) || !strings.Contains(err.Error(), "x509") {
		t.Fatalf("without the CA: err = %v, want ErrTLSVerification naming the x509 reason", err)
	}
	t.Log(err)
	r = open(t, config.Context{Address: addr, Insecure: true, CertFile: cert, KeyFile: key})
	if _, err := r.Services(ctx, registry.Query{}); err != nil {
		t.Fatalf("with --tls-skip-verify: %v", err)
	}
	// Without a client certificate the agent refuses the handshake.
	r = open(t, config.Context{Address: addr, CAFile: ca})
	if _, err := r.Services(ctx, registry.Query{}); !errors.Is(err, registry.ErrTLSVerification) {
		t.Fatalf("no client certificate: err = %v, want ErrTLSVerification", err)
	} else {
		t.Log(err)
	}
}
