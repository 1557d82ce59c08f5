package testserver

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// Etcd is a running single-member etcd on loopback (Debian's etcd-server,
// /usr/bin/etcd, installed by scripts/testenv.sh).
type Etcd struct {
	// ClientAddr is host:port of the client API.
	ClientAddr string
	// ClientURL is ClientAddr with its scheme, http:// or https://.
	ClientURL string
	p         *process
}

// EtcdOptions change how StartEtcdServerWith starts etcd.
type EtcdOptions struct {
	// CA, when set, makes the client port serve https with a certificate
	// for 127.0.0.1 that CA issues.
	CA *CA
	// ClientCertAuth makes etcd require a client certificate issued by
	// CA.
	ClientCertAuth bool
}

// StartEtcdServer starts etcd with a scratch data folder and waits until it
// serves. Stop it with Stop.
func StartEtcdServer() (*Etcd, error) { return StartEtcdServerWith(EtcdOptions{}) }

// StartEtcdServerWith is StartEtcdServer with options.
func StartEtcdServerWith(o EtcdOptions) (*Etcd, error) {
	bin, err := Find("etcd")
	if err != nil {
		return nil, err
	}
	ports, err := FreePorts(2)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "msctl-etcd-*")
	if err != nil {
		return nil, err
	}
	scheme := "http"
	var extra []string
	hc := &http.Client{}
	if o.CA != nil {
		scheme = "https"
		tlsArgs, probe, err := etcdTLS(o, dir)
		if err != nil {
			return nil, err
		}
		extra = tlsArgs
		hc.Transport = &http.Transport{TLSClientConfig: probe}
	}
	client := fmt.Sprintf("%s://127.0.0.1:%d", scheme, ports[0])
	peer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	args := append([]string{
		"--name", "msctl-test", "--data-dir", dir + "/data",
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "msctl-test=" + peer,
		"--log-level", "error", "--logger", "zap"}, extra...)
	p, err := startProcess("etcd", dir, bin, args...)
	if err != nil {
		return nil, err
	}
	e := &Etcd{ClientAddr: fmt.Sprintf("127.0.0.1:%d", ports[0]), ClientURL: client, p: p}
	err = p.wait(30*time.Second, func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, "GET", client+"/health", nil)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"health":"true"`) {
			return fmt.Errorf("health: %s", b)
		}
		return nil
	})
	if err != nil {
		p.kill()
		return nil, err
	}
	return e, nil
}

// etcdTLS issues the server certificate (and a client one to probe with)
// into dir and returns etcd's TLS flags and the probe's TLS settings.
func etcdTLS(o EtcdOptions, dir string) ([]string, *tls.Config, error) {
	srv, err := o.CA.Issue(LeafOptions{CommonName: "etcd", IPs: []net.IP{net.ParseIP("127.0.0.1")}, ClientAndServer: true})
	if err != nil {
		return nil, nil, err
	}
	cl, err := o.CA.Issue(LeafOptions{CommonName: "probe", Client: true})
	if err != nil {
		return nil, nil, err
	}
	if err := WriteFiles(dir, o.CA, map[string]*Leaf{"server": srv}); err != nil {
		return nil, nil, err
	}
	args := []string{"--cert-file", dir + "/server.pem", "--key-file", dir + "/server-key.pem"}
	if o.ClientCertAuth {
		args = append(args, "--trusted-ca-file", dir+"/ca.pem", "--client-cert-auth")
	}
	return args, &tls.Config{RootCAs: o.CA.Pool(), Certificates: []tls.Certificate{cl.TLS}}, nil
}

// Stop stops etcd and removes its data.
func (e *Etcd) Stop() { e.p.stop() }

// Logs returns what etcd has printed so far.
func (e *Etcd) Logs() string { return e.p.logs.String() }

// StartEtcd starts etcd for the test and stops it when the test ends. A
// missing etcd fails the test with how to get it.
func StartEtcd(t testing.TB) *Etcd {
	t.Helper()
	return StartEtcdWith(t, EtcdOptions{})
}

// StartEtcdWith is StartEtcd with options.
func StartEtcdWith(t testing.TB, o EtcdOptions) *Etcd {
	t.Helper()
	e, err := StartEtcdServerWith(o)
	if err != nil {
		t.Fatalf("etcd test server: %v", err)
	}
	t.Cleanup(e.Stop)
	return e
}
