package testserver

import (
	"context"
	"fmt"
	"io"
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
	p          *process
}

// StartEtcdServer starts etcd with a scratch data folder and waits until it
// serves. Stop it with Stop.
func StartEtcdServer() (*Etcd, error) {
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
	client := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	p, err := startProcess("etcd", dir, bin,
		"--name", "msctl-test", "--data-dir", dir,
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "msctl-test="+peer,
		"--log-level", "error", "--logger", "zap")
	if err != nil {
		return nil, err
	}
	e := &Etcd{ClientAddr: strings.TrimPrefix(client, "http://"), p: p}
	hc := &http.Client{}
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

// Stop stops etcd and removes its data.
func (e *Etcd) Stop() { e.p.stop() }

// Logs returns what etcd has printed so far.
func (e *Etcd) Logs() string { return e.p.logs.String() }

// StartEtcd starts etcd for the test and stops it when the test ends. A
// missing etcd fails the test with how to get it.
func StartEtcd(t testing.TB) *Etcd {
	t.Helper()
	e, err := StartEtcdServer()
	if err != nil {
		t.Fatalf("etcd test server: %v", err)
	}
	t.Cleanup(e.Stop)
	return e
}
