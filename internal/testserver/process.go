package testserver

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// process is a server started in its own process group, with its output
// kept for error messages and its scratch folder removed when it exits.
type process struct {
	name    string
	cmd     *exec.Cmd
	logs    *lockedBuffer
	done    chan struct{}
	scratch string
}

// startProcess starts bin with args. scratch, if not empty, is removed once
// the process has exited.
func startProcess(name, scratch, bin string, args ...string) (*process, error) {
	p := &process{name: name, logs: &lockedBuffer{}, done: make(chan struct{}), scratch: scratch}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout = p.logs
	p.cmd.Stderr = p.logs
	// Its own process group, so that a Ctrl-C on the test run does not
	// reach it before Stop does, and so that Stop reaches its children.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		if scratch != "" {
			os.RemoveAll(scratch)
		}
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		if p.scratch != "" {
			os.RemoveAll(p.scratch)
		}
		close(p.done)
	}()
	return p, nil
}

// waitTCP waits until addr accepts connections, ready says it is serving,
// the process exits or the timeout passes.
func (p *process) wait(timeout time.Duration, ready func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last error
	for {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited:\n%s", p.name, p.logs.String())
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s (last: %v):\n%s", p.name, timeout, last, p.logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		last = ready(c)
		cancel()
		if last == nil {
			return nil
		}
	}
}

// stop interrupts the process, killing its group if it has not exited
// within a few seconds.
func (p *process) stop() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// kill stops the process group at once, as a crash would.
func (p *process) kill() {
	if p == nil || p.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// dialable reports whether addr accepts TCP connections.
func dialable(ctx context.Context, addr string) error {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// interrupt is what a Ctrl-C sends.
var interrupt = syscall.SIGINT
