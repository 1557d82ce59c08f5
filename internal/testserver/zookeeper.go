package testserver

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// ZooKeeper is a running standalone ZooKeeper on loopback (Debian's
// zookeeper package, run with the installed Java).
type ZooKeeper struct {
	// Addr is host:port of the client port.
	Addr string
	p    *process
}

// zooKeeperJar is where Debian's zookeeper package puts the server.
const zooKeeperJar = "/usr/share/java/zookeeper.jar"

// StartZooKeeperServer starts ZooKeeperServerMain on a free port with a
// scratch data folder, every four-letter-word command allowed (msctl reads
// `cons` for session details), and waits until it answers `srvr`.
func StartZooKeeperServer() (*ZooKeeper, error) {
	java, err := Find("java")
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(zooKeeperJar); err != nil {
		return nil, &MissingError{Name: "zookeeper (" + zooKeeperJar + ")"}
	}
	ports, err := FreePorts(1)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "msctl-zookeeper-*")
	if err != nil {
		return nil, err
	}
	z := &ZooKeeper{Addr: fmt.Sprintf("127.0.0.1:%d", ports[0])}
	z.p, err = startProcess("zookeeper", dir, java,
		"-Xmx256m", "-XX:+UseSerialGC", "-Xshare:auto",
		"-Dzookeeper.4lw.commands.whitelist=*",
		"-Dzookeeper.admin.enableServer=false",
		"-Dzookeeper.clientPortAddress=127.0.0.1",
		"-cp", "/etc/zookeeper/conf:"+zooKeeperJar,
		"org.apache.zookeeper.server.ZooKeeperServerMain",
		fmt.Sprint(ports[0]), dir, "500")
	if err != nil {
		return nil, err
	}
	err = z.p.wait(60*time.Second, func(ctx context.Context) error {
		out, err := FourLetterWord(ctx, z.Addr, "srvr")
		if err != nil {
			return err
		}
		if !strings.Contains(out, "Mode: standalone") {
			return fmt.Errorf("srvr: %s", out)
		}
		return nil
	})
	if err != nil {
		z.p.kill()
		return nil, err
	}
	return z, nil
}

// FourLetterWord sends a ZooKeeper four-letter-word command and returns the
// answer.
func FourLetterWord(ctx context.Context, addr, cmd string) (string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := c.Write([]byte(cmd)); err != nil {
		return "", err
	}
	var b strings.Builder
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		b.WriteString(sc.Text() + "\n")
	}
	return b.String(), nil
}

// Stop stops ZooKeeper and removes its data.
func (z *ZooKeeper) Stop() { z.p.stop() }

// Logs returns what the server has printed so far.
func (z *ZooKeeper) Logs() string { return z.p.logs.String() }

// StartZooKeeper starts ZooKeeper for the test and stops it when the test
// ends. Missing Java or ZooKeeper fails the test with how to get them.
func StartZooKeeper(t testing.TB) *ZooKeeper {
	t.Helper()
	z, err := StartZooKeeperServer()
	if err != nil {
		t.Fatalf("zookeeper test server: %v", err)
	}
	t.Cleanup(z.Stop)
	return z
}
