package probe

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"
)

// TLSOptions are the TLS settings every TLS-capable probe takes, named as
// curl and grpcurl name them.
type TLSOptions struct {
	CACert     string // --cacert: PEM bundle that replaces the system roots
	Cert, Key  string // --cert/--key: client certificate for mTLS
	Insecure   bool   // --insecure: skip verification (the command warns)
	ServerName string // SNI and verified name, when not the target host
}

// Config builds a *tls.Config from the options. Verification is on unless
// Insecure is set.
func (o TLSOptions) Config() (*tls.Config, error) {
	cfg := &tls.Config{ServerName: o.ServerName, InsecureSkipVerify: o.Insecure} //nolint:gosec // --insecure is the user's explicit choice
	if o.CACert != "" {
		pem, err := os.ReadFile(o.CACert)
		if err != nil {
			return nil, fmt.Errorf("reading --cacert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--cacert %s holds no PEM certificate", o.CACert)
		}
		cfg.RootCAs = pool
	}
	if (o.Cert == "") != (o.Key == "") {
		return nil, fmt.Errorf("--cert and --key go together")
	}
	if o.Cert != "" {
		pair, err := tls.LoadX509KeyPair(o.Cert, o.Key)
		if err != nil {
			return nil, fmt.Errorf("loading --cert/--key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// TLSDetails describe the negotiated TLS session.
type TLSDetails struct {
	Version     string        `json:"version"`
	CipherSuite string        `json:"cipher_suite"`
	ALPN        string        `json:"alpn,omitempty"`
	ServerName  string        `json:"server_name,omitempty"`
	Resumed     bool          `json:"resumed"`
	Verified    bool          `json:"verified"`
	PeerChain   []Certificate `json:"peer_chain"`
}

// Certificate is one certificate the peer sent.
type Certificate struct {
	Subject  string    `json:"subject"`
	Issuer   string    `json:"issuer"`
	DNSNames []string  `json:"dns_names,omitempty"`
	NotAfter time.Time `json:"not_after"`
	// DaysLeft is the whole days until NotAfter; negative once expired.
	DaysLeft int `json:"days_left"`
}

// NewTLSDetails describes cs as seen at now.
func NewTLSDetails(cs tls.ConnectionState, verified bool, now time.Time) *TLSDetails {
	d := &TLSDetails{
		Version:     tls.VersionName(cs.Version),
		CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
		ALPN:        cs.NegotiatedProtocol,
		ServerName:  cs.ServerName,
		Resumed:     cs.DidResume,
		Verified:    verified,
	}
	for _, c := range cs.PeerCertificates {
		d.PeerChain = append(d.PeerChain, Certificate{
			Subject:  c.Subject.String(),
			Issuer:   c.Issuer.String(),
			DNSNames: c.DNSNames,
			NotAfter: c.NotAfter.UTC(),
			DaysLeft: int(c.NotAfter.Sub(now).Hours() / 24),
		})
	}
	return d
}
