package probeserver

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/testserver"
)

// rabbitMQServer is where Debian's rabbitmq-server package puts the start
// script that runs the broker in the foreground as the calling user (the
// /usr/sbin wrapper switches to the rabbitmq user and its fixed paths).
const rabbitMQServer = "/usr/lib/rabbitmq/bin/rabbitmq-server"

// RabbitMQ is a running RabbitMQ broker on loopback with its own node
// name, ports and data folder.
type RabbitMQ struct {
	// URL is amqp://guest:guest@127.0.0.1:PORT/.
	URL  string
	cmd  *exec.Cmd
	logs *lockedBuffer
	dir  string
}

// StartRabbitMQ starts a broker for the test (about 5-10 s) and stops it
// when the test ends.
func StartRabbitMQ(t testing.TB) *RabbitMQ {
	t.Helper()
	r, err := StartRabbitMQBroker()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

// StartRabbitMQBroker starts a broker; the caller stops it.
func StartRabbitMQBroker() (*RabbitMQ, error) {
	if _, err := os.Stat(rabbitMQServer); err != nil {
		return nil, fmt.Errorf("%s is not installed: run `scripts/testenv.sh rabbitmq` (apt-get install rabbitmq-server, as root)", rabbitMQServer)
	}
	ports, err := testserver.FreePorts(2)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "msctl-rabbitmq-")
	if err != nil {
		return nil, err
	}
	plugins := filepath.Join(dir, "enabled_plugins")
	if err := os.WriteFile(plugins, []byte("[].\n"), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(rabbitMQServer)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"HOME="+dir,
		"RABBITMQ_NODENAME=msctl-"+strconv.Itoa(ports[0])+"@localhost",
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_NODE_PORT="+strconv.Itoa(ports[0]),
		"RABBITMQ_DIST_PORT="+strconv.Itoa(ports[1]),
		"RABBITMQ_MNESIA_BASE="+filepath.Join(dir, "mnesia"),
		"RABBITMQ_LOG_BASE="+filepath.Join(dir, "log"),
		"RABBITMQ_ENABLED_PLUGINS_FILE="+plugins,
		"RABBITMQ_CONFIG_FILE="+filepath.Join(dir, "rabbitmq"),
	)
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	// Its own process group, so that Stop reaches the Erlang VM the
	// script starts, not only the script.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &RabbitMQ{URL: fmt.Sprintf("amqp://guest:guest@127.0.0.1:%d/", ports[0]), cmd: cmd, logs: logs, dir: dir}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return r, nil
		}
		select {
		case <-ctx.Done():
			r.Stop()
			return nil, fmt.Errorf("rabbitmq did not listen on %s within 60s; its output:\n%s", addr, logs.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop stops the broker and removes its data.
func (r *RabbitMQ) Stop() {
	if r.cmd.Process != nil {
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = r.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	os.RemoveAll(r.dir)
}
