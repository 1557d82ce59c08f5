package testserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Consul is a running `consul agent -dev` on loopback.
type Consul struct {
	// HTTPAddr is host:port of the HTTP API.
	HTTPAddr string
	// DNSAddr is host:port of the DNS interface (UDP and TCP).
	DNSAddr string
	// GRPCAddr is host:port of the gRPC (xDS) port.
	GRPCAddr string
	// SerfLANAddr is host:port of the LAN gossip port, for joining a second agent.
	SerfLANAddr string
	// NodeName is the agent's node name.
	NodeName string

	cmd  *exec.Cmd
	logs *lockedBuffer
	done chan struct{}
	// identity is a random node-meta value that proves an answer on
	// HTTPAddr comes from this agent.
	identity string
}

// ConsulOptions adjust the agent.
type ConsulOptions struct {
	// NodeName defaults to "msctl-test".
	NodeName string
	// HCL is extra agent configuration, e.g. `acl { enabled = true ... }`.
	HCL string
	// Join is the Serf LAN address of an agent to join (as a client agent
	// when Client is true).
	Join string
	// Client starts a client agent instead of a dev server; it needs Join.
	Client bool
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// StartConsulAgent starts an agent and waits until it has a leader (or, for
// a client agent, until its HTTP API answers and it has joined). Stop it
// with Stop.
func StartConsulAgent(opts ConsulOptions) (*Consul, error) {
	// The free ports are only free when picked: a test package running in
	// parallel may take one before the agent binds it. Try again with new
	// ports when that happens.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var c *Consul
		c, err = startConsulAgent(opts)
		if err == nil || !strings.Contains(err.Error(), "address already in use") {
			return c, err
		}
	}
	return nil, err
}

func startConsulAgent(opts ConsulOptions) (*Consul, error) {
	bin, err := Find("consul")
	if err != nil {
		return nil, err
	}
	ports, err := FreePorts(6)
	if err != nil {
		return nil, err
	}
	if opts.NodeName == "" {
		opts.NodeName = "msctl-test"
	}
	c := &Consul{
		HTTPAddr:    fmt.Sprintf("127.0.0.1:%d", ports[0]),
		DNSAddr:     fmt.Sprintf("127.0.0.1:%d", ports[1]),
		GRPCAddr:    fmt.Sprintf("127.0.0.1:%d", ports[2]),
		SerfLANAddr: fmt.Sprintf("127.0.0.1:%d", ports[4]),
		NodeName:    opts.NodeName,
		logs:        &lockedBuffer{},
		done:        make(chan struct{}),
		identity:    fmt.Sprintf("%016x", rand.Uint64()),
	}
	args := []string{"agent",
		"-client", "127.0.0.1", "-bind", "127.0.0.1", "-advertise", "127.0.0.1",
		"-node", opts.NodeName,
		"-node-meta", identityMetaKey + ":" + c.identity,
		"-http-port", fmt.Sprint(ports[0]),
		"-dns-port", fmt.Sprint(ports[1]),
		"-grpc-port", fmt.Sprint(ports[2]),
		// A dev agent otherwise binds gRPC-TLS to the fixed port 8503, so
		// that a second agent on the machine (parallel tests, a second
		// engineer, the demo) fails to start.
		"-grpc-tls-port", "-1",
		"-server-port", fmt.Sprint(ports[3]),
		"-serf-lan-port", fmt.Sprint(ports[4]),
		"-serf-wan-port", fmt.Sprint(ports[5]),
		"-log-level", "warn",
	}
	var dataDir string
	if opts.Client {
		dataDir, err = os.MkdirTemp("", "msctl-consul-client-*")
		if err != nil {
			return nil, err
		}
		args = append(args, "-data-dir", dataDir, "-retry-join", opts.Join)
	} else {
		args = append(args, "-dev")
		if opts.Join != "" {
			args = append(args, "-retry-join", opts.Join)
		}
	}
	if opts.HCL != "" {
		args = append(args, "-hcl", opts.HCL)
	}
	c.cmd = exec.Command(bin, args...)
	c.cmd.Stdout = c.logs
	c.cmd.Stderr = c.logs
	// Its own process group, so that a Ctrl-C on the test run does not
	// reach it before Stop does.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting consul: %w", err)
	}
	go func() {
		_ = c.cmd.Wait()
		if dataDir != "" {
			os.RemoveAll(dataDir)
		}
		close(c.done)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.waitReady(ctx, !opts.Client); err != nil {
		c.Stop()
		return nil, fmt.Errorf("consul agent did not become ready: %w\n%s", err, c.Logs())
	}
	return c, nil
}

func (c *Consul) waitReady(ctx context.Context, needLeader bool) error {
	client := &http.Client{Timeout: 2 * time.Second}
	url := "http://" + c.HTTPAddr + "/v1/status/leader"
	var last string
	for {
		select {
		case <-c.done:
			return fmt.Errorf("agent exited")
		case <-ctx.Done():
			return fmt.Errorf("%w (last answer: %s)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := client.Get(url)
		if err != nil {
			last = err.Error()
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		last = string(b)
		leader := strings.Trim(strings.TrimSpace(last), `"`)
		if resp.StatusCode == 200 && (leader != "" || !needLeader) {
			// Make sure it is our agent that answers, not another test's
			// that took our HTTP port first (ours then exits).
			if mine, err := c.ownsHTTPPort(client); err != nil || !mine {
				if err == nil {
					return fmt.Errorf("address already in use: another agent answers on %s", c.HTTPAddr)
				}
				last = err.Error()
				continue
			}
			if needLeader {
				return nil
			}
			// A client agent is ready once it sees a leader through its server.
			if leader != "" {
				return nil
			}
		}
	}
}

// ownsHTTPPort reports whether the agent answering on HTTPAddr carries this
// agent's identity in its node metadata.
func (c *Consul) ownsHTTPPort(client *http.Client) (bool, error) {
	resp, err := client.Get("http://" + c.HTTPAddr + "/v1/agent/self")
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusForbidden {
		// An agent with ACLs on does not show itself to anonymous
		// callers: ask the kernel who listens on the port instead.
		return listensOn(c.cmd.Process.Pid, c.HTTPAddr)
	}
	var self struct {
		Meta map[string]string
	}
	if err := json.NewDecoder(resp.Body).Decode(&self); err != nil {
		return false, fmt.Errorf("reading /v1/agent/self: %w", err)
	}
	return self.Meta[identityMetaKey] == c.identity, nil
}

// listensOn reports whether process pid holds the TCP socket listening on
// addr (127.0.0.1:PORT), from /proc/net/tcp and the process's descriptors.
func listensOn(pid int, addr string) (bool, error) {
	_, portText, _ := strings.Cut(addr, ":")
	port, err := strconv.Atoi(portText)
	if err != nil {
		return false, err
	}
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return false, err
	}
	want := fmt.Sprintf("0100007F:%04X", port)
	inode := ""
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 9 && f[1] == want && f[3] == "0A" { // 0A: LISTEN
			inode = f[9]
			break
		}
	}
	if inode == "" {
		return false, nil
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false, err
	}
	for _, fd := range fds {
		if link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && link == "socket:["+inode+"]" {
			return true, nil
		}
	}
	return false, nil
}

// identityMetaKey is the node-meta key that tells test agents apart.
const identityMetaKey = "msctl_test_agent"

// Logs returns what the agent has printed so far.
func (c *Consul) Logs() string { return c.logs.String() }

// Stop asks the agent to leave and exit, killing it if it does not within a
// few seconds.
func (c *Consul) Stop() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.done
	}
}

// Kill stops the agent at once, without leaving the cluster, as a crashed
// node would.
func (c *Consul) Kill() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	<-c.done
}

// StartConsul starts a dev agent for the test and stops it when the test
// ends. A missing consul binary fails the test with how to get it.
func StartConsul(t testing.TB, opts ...ConsulOptions) *Consul {
	t.Helper()
	var o ConsulOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	c, err := StartConsulAgent(o)
	if err != nil {
		t.Fatalf("consul test agent: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}
