package testserver

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// RabbitMQ is a running RabbitMQ node (Debian rabbitmq-server) on loopback,
// with its own Erlang port mapper, data and log folders, and no plugins.
type RabbitMQ struct {
	// URL is the AMQP URL with the default guest account.
	URL string
	// Addr is host:port of the AMQP listener.
	Addr string

	cmd      *exec.Cmd
	dir      string
	epmdPort int
	logs     *lockedBuffer
	done     chan struct{}
}

// rabbitmqServer is the Debian package's server script; the one in
// /usr/sbin would switch to the rabbitmq user and its fixed folders.
const rabbitmqServer = "/usr/lib/rabbitmq/bin/rabbitmq-server"

// StartRabbitMQNode starts a node and waits until it accepts AMQP
// connections. Stop it with Stop.
func StartRabbitMQNode() (*RabbitMQ, error) {
	if _, err := os.Stat(rabbitmqServer); err != nil {
		return nil, fmt.Errorf("%s is missing: run `scripts/testenv.sh rabbitmq` (apt-get install rabbitmq-server)", rabbitmqServer)
	}
	ports, err := FreePorts(3)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "msctl-rabbitmq-*")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "enabled_plugins"), []byte("[].\n"), 0o644); err != nil {
		return nil, err
	}
	r := &RabbitMQ{
		Addr: fmt.Sprintf("127.0.0.1:%d", ports[0]), dir: dir, epmdPort: ports[2],
		logs: &lockedBuffer{}, done: make(chan struct{}),
	}
	r.URL = "amqp://guest:guest@" + r.Addr + "/"
	r.cmd = exec.Command(rabbitmqServer)
	r.cmd.Dir = dir
	r.cmd.Env = append(os.Environ(),
		"HOME="+dir,
		fmt.Sprintf("RABBITMQ_NODENAME=msctl%d@localhost", ports[0]),
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		fmt.Sprintf("RABBITMQ_NODE_PORT=%d", ports[0]),
		fmt.Sprintf("RABBITMQ_DIST_PORT=%d", ports[1]),
		fmt.Sprintf("ERL_EPMD_PORT=%d", ports[2]),
		"RABBITMQ_MNESIA_BASE="+filepath.Join(dir, "mnesia"),
		"RABBITMQ_LOG_BASE="+filepath.Join(dir, "log"),
		"RABBITMQ_LOGS=-",
		"RABBITMQ_ENABLED_PLUGINS_FILE="+filepath.Join(dir, "enabled_plugins"),
		"RABBITMQ_CONFIG_FILE="+filepath.Join(dir, "rabbitmq"),
		"RABBITMQ_ADVANCED_CONFIG_FILE="+filepath.Join(dir, "advanced.config"),
		"RABBITMQ_CONF_ENV_FILE="+filepath.Join(dir, "rabbitmq-env.conf"),
		"RABBITMQ_PID_FILE="+filepath.Join(dir, "pid"),
	)
	r.cmd.Stdout = r.logs
	r.cmd.Stderr = r.logs
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting rabbitmq: %w", err)
	}
	go func() {
		_ = r.cmd.Wait()
		close(r.done)
	}()
	// Erlang boots slowly on a busy machine: allow two minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		select {
		case <-r.done:
			r.Stop()
			return nil, fmt.Errorf("rabbitmq exited during start:\n%s", r.logs.String())
		case <-ctx.Done():
			r.Stop()
			return nil, fmt.Errorf("rabbitmq did not accept connections on %s within 2m:\n%s", r.Addr, r.logs.String())
		case <-time.After(200 * time.Millisecond):
		}
		if c, err := net.DialTimeout("tcp", r.Addr, time.Second); err == nil {
			c.Close()
			return r, nil
		}
	}
}

// StartRabbitMQ starts a node for the test and stops it when the test ends.
func StartRabbitMQ(t testing.TB) *RabbitMQ {
	t.Helper()
	r, err := StartRabbitMQNode()
	if err != nil {
		t.Fatalf("rabbitmq test node: %v", err)
	}
	t.Cleanup(r.Stop)
	return r
}

// Logs returns what the node has printed so far.
func (r *RabbitMQ) Logs() string { return r.logs.String() }

// Stop stops the node, its port mapper, and removes its folders.
func (r *RabbitMQ) Stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-r.done:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
			<-r.done
		}
	}
	// epmd daemonizes out of the process group; ask it to leave.
	if epmd, err := exec.LookPath("epmd"); err == nil {
		_ = exec.Command(epmd, "-port", fmt.Sprint(r.epmdPort), "-kill").Run()
	} else if p := "/usr/lib/erlang/bin/epmd"; fileExists(p) {
		_ = exec.Command(p, "-port", fmt.Sprint(r.epmdPort), "-kill").Run()
	}
	os.RemoveAll(r.dir)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
