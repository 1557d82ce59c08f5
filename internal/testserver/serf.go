package testserver

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
)

// SerfAgent is one running `serf agent` on loopback.
type SerfAgent struct {
	Name string
	// BindAddr is host:port of its gossip port; RPCAddr of its RPC port,
	// which github.com/hashicorp/serf/client talks to.
	BindAddr, RPCAddr string
	p                 *process
}

// SerfOptions describe one agent of a cluster.
type SerfOptions struct {
	Name string
	Tags map[string]string
}

// StartSerfCluster starts one agent per option, the second and later
// joining the first, with the "local" timing profile so that a killed agent
// is declared failed within seconds, and waits until every agent sees all
// of them alive. Stop each agent with Stop (graceful leave) or Kill.
func StartSerfCluster(agents ...SerfOptions) ([]*SerfAgent, error) {
	bin, err := Find("serf")
	if err != nil {
		return nil, err
	}
	var out []*SerfAgent
	fail := func(err error) ([]*SerfAgent, error) {
		for _, a := range out {
			a.Kill()
		}
		return nil, err
	}
	for i, o := range agents {
		ports, err := FreePorts(2)
		if err != nil {
			return fail(err)
		}
		a := &SerfAgent{Name: o.Name,
			BindAddr: fmt.Sprintf("127.0.0.1:%d", ports[0]),
			RPCAddr:  fmt.Sprintf("127.0.0.1:%d", ports[1])}
		args := []string{"agent", "-node", o.Name, "-bind", a.BindAddr, "-rpc-addr", a.RPCAddr,
			"-profile", "local", "-log-level", "warn"}
		keys := make([]string, 0, len(o.Tags))
		for k := range o.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			args = append(args, "-tag", k+"="+o.Tags[k])
		}
		if i > 0 {
			args = append(args, "-join", out[0].BindAddr)
		}
		a.p, err = startProcess("serf agent "+o.Name, "", bin, args...)
		if err != nil {
			return fail(err)
		}
		out = append(out, a)
		// The next agent joins this one, so it must be up first.
		err = a.p.wait(30*time.Second, func(ctx context.Context) error {
			return exec.CommandContext(ctx, bin, "members", "-rpc-addr", a.RPCAddr).Run()
		})
		if err != nil {
			return fail(err)
		}
	}
	for _, a := range out {
		err := a.p.wait(30*time.Second, func(ctx context.Context) error {
			got, err := exec.CommandContext(ctx, bin, "members", "-rpc-addr", a.RPCAddr, "-status", "alive").Output()
			if err != nil {
				return err
			}
			if n := strings.Count(strings.TrimSpace(string(got)), "\n") + 1; n != len(agents) {
				return fmt.Errorf("%s sees %d alive members", a.Name, n)
			}
			return nil
		})
		if err != nil {
			return fail(err)
		}
	}
	return out, nil
}

// Stop makes the agent leave the cluster gracefully (SIGINT), so the
// others see it as left.
func (a *SerfAgent) Stop() {
	if a.p == nil {
		return
	}
	select {
	case <-a.p.done:
		return
	default:
	}
	_ = a.p.cmd.Process.Signal(interrupt)
	select {
	case <-a.p.done:
	case <-time.After(10 * time.Second):
		a.p.kill()
	}
}

// Kill stops the agent at once, so the others declare it failed.
func (a *SerfAgent) Kill() {
	select {
	case <-a.p.done:
	default:
		a.p.kill()
	}
}

// StartSerf starts a Serf cluster for the test and stops it when the test
// ends. A missing serf binary fails the test with how to get it.
func StartSerf(t testing.TB, agents ...SerfOptions) []*SerfAgent {
	t.Helper()
	as, err := StartSerfCluster(agents...)
	if err != nil {
		t.Fatalf("serf test cluster: %v", err)
	}
	t.Cleanup(func() {
		for _, a := range as {
			a.Kill()
		}
	})
	return as
}
