package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry/consul"
	"github.com/msctl/msctl/internal/registry/regtest"
	"github.com/msctl/msctl/internal/testserver"
)

func finding(rep *Report, id, instance string) *Finding {
	for i := range rep.Findings {
		if rep.Findings[i].ID == id && rep.Findings[i].Instance == instance {
			return &rep.Findings[i]
		}
	}
	return nil
}

// agentCheckOutput is the output of checkID as the agent at addr has it.
func agentCheckOutput(addr, checkID string) (string, error) {
	resp, err := http.Get("http://" + addr + "/v1/agent/checks")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var checks map[string]struct{ Status, Output string }
	if err := json.NewDecoder(resp.Body).Decode(&checks); err != nil {
		return "", err
	}
	return checks[checkID].Output, nil
}

// TestDoctorConsulNonPassing: on a real agent, every state that is not
// passing is a finding with the check's output, and a passing check that
// has not run since the instance died is called stale rather than blamed.
func TestDoctorConsulNonPassing(t *testing.T) {
	c := testserver.StartConsul(t)
	addr := c.HTTPAddr

	// A TTL check set to warn, with a note.
	regtest.Register(t, addr, regtest.Service{ID: "cache-1", Name: "cache", Address: "127.0.0.1", Port: regtest.Listen(t),
		Checks: []regtest.Check{{CheckID: "cache-1-ttl", TTL: "1h", Status: "passing"}}})
	regtest.SetTTL(t, addr, "cache-1-ttl", "warn", "disk-91%25-full")

	// A TCP check of a closed port that starts critical (Consul's default)
	// and stays critical: only its output changes, which the agent keeps
	// and the catalog gets minutes later.
	closed := regtest.ClosedPort(t)
	regtest.Register(t, addr, regtest.Service{ID: "db-1", Name: "db", Address: "127.0.0.1", Port: closed,
		Checks: []regtest.Check{{CheckID: "db-1-tcp", TCP: fmt.Sprintf("127.0.0.1:%d", closed), Interval: "1s"}}})
	regtest.Eventually(t, 15*time.Second, func() error {
		out, err := agentCheckOutput(addr, "db-1-tcp")
		if err != nil || !strings.Contains(out, "connection refused") {
			return fmt.Errorf("agent output %q, %v", out, err)
		}
		return nil
	})

	// A passing TCP check of a live port that is closed just before the
	// diagnosis, as when the instance crashes: with a one-hour interval
	// (Consul staggers the first run at random within it) the check will
	// not have run again.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	regtest.Register(t, addr, regtest.Service{ID: "api-1", Name: "api", Address: "127.0.0.1", Port: port,
		Checks: []regtest.Check{{CheckID: "api-1-tcp", TCP: fmt.Sprintf("127.0.0.1:%d", port), Interval: "1h", Status: "passing"}}})

	reg, err := consul.New(config.Context{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var rep *Report
	regtest.Eventually(t, 15*time.Second, func() error {
		rep, err = Diagnose(ctx, reg, Options{Probe: false})
		if err != nil {
			return err
		}
		if finding(rep, "instance-warning", "cache-1") == nil || finding(rep, "instance-critical", "db-1") == nil {
			return fmt.Errorf("not yet: %v", findingSet(rep))
		}
		return nil
	})
	if f := finding(rep, "instance-warning", "cache-1"); f.Severity != Warning || !strings.Contains(f.Reason, "cache-1-ttl: disk-91%-full") {
		t.Errorf("warning finding %+v, want the TTL's note", f)
	}
	if rep.Worst().Rank() < Warning.Rank() {
		t.Errorf("worst %q: --fail-on warning would pass", rep.Worst())
	}
	if f := finding(rep, "instance-critical", "db-1"); !strings.Contains(f.Reason, "db-1-tcp: dial tcp 127.0.0.1:") || !strings.Contains(f.Reason, "connection refused") {
		t.Errorf("critical finding %+v, want the agent's check output", f)
	}

	// An external service whose check definition the catalog has (as an
	// external-service monitor registers it), same target.
	regtest.Put(t, addr, "/v1/catalog/register", map[string]any{
		"Node": "ext", "Address": "127.0.0.1",
		"Service": map[string]any{"ID": "api-ext", "Service": "api", "Address": "127.0.0.1", "Port": port},
		"Check": map[string]any{"CheckID": "api-ext-tcp", "Name": "tcp", "ServiceID": "api-ext", "Status": "passing",
			"Definition": map[string]any{"TCP": fmt.Sprintf("127.0.0.1:%d", port), "Interval": "10s"}},
	})

	l.Close()
	rep, err = Diagnose(ctx, reg, Options{Services: []string{"api"}, Probe: true, ProbeTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// The agent's check: its target is not told, its interval is.
	f := finding(rep, "port-closed", "api-1")
	if f == nil {
		t.Fatalf("no port-closed for api-1: %v", findingSet(rep))
	}
	if !strings.Contains(f.Reason, "its tcp check api-1-tcp last passed and may be stale, not having run since (it runs every 1h0m0s: next run by ") ||
		!strings.HasPrefix(f.Next, "if the instance just stopped, its check marks it critical at the next run") {
		t.Errorf("port-closed right after the crash: %+v, want the check called possibly stale", f)
	}
	// The external check tests the very port: it is stale, no doubt.
	f = finding(rep, "port-closed", "api-ext")
	if f == nil {
		t.Fatalf("no port-closed for api-ext: %v", findingSet(rep))
	}
	if !strings.Contains(f.Reason, "its tcp check api-ext-tcp tests the same target and has not run since: the check is stale (it runs every 10s: next run by ") ||
		strings.Contains(f.Next, "does not test what clients use") {
		t.Errorf("port-closed of the external instance: %+v, want the check called stale", f)
	}
}
