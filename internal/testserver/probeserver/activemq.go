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

// activeMQJar is where Debian's activemq package puts the broker's launcher.
const activeMQJar = "/usr/share/activemq/bin/activemq.jar"

// ActiveMQ is a running, non-persistent ActiveMQ 5 broker on loopback with
// only a STOMP connector and one user, probe/secret.
type ActiveMQ struct {
	// STOMPURL is stomp://probe:secret@127.0.0.1:PORT.
	STOMPURL string
	cmd      *exec.Cmd
	logs     *lockedBuffer
	dir      string
}

const activeMQConfig = `<beans xmlns="http://www.springframework.org/schema/beans" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" useJmx="false" persistent="false" brokerName="msctl-test" dataDirectory="%s">
    <plugins>
      <simpleAuthenticationPlugin>
        <users>
          <authenticationUser username="probe" password="secret" groups="users"/>
        </users>
      </simpleAuthenticationPlugin>
    </plugins>
    <transportConnectors>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:%d"/>
    </transportConnectors>
  </broker>
</beans>
`

// StartActiveMQ starts a broker for the test (a few seconds: a JVM) and
// stops it when the test ends.
func StartActiveMQ(t testing.TB) *ActiveMQ {
	t.Helper()
	a, err := StartActiveMQBroker()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)
	return a
}

// StartActiveMQBroker starts a broker; the caller stops it.
func StartActiveMQBroker() (*ActiveMQ, error) {
	if _, err := os.Stat(activeMQJar); err != nil {
		return nil, fmt.Errorf("%s is not installed: run `scripts/testenv.sh activemq` (apt-get install activemq, as root)", activeMQJar)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, fmt.Errorf("java is not installed (ActiveMQ needs it): apt-get install default-jre-headless")
	}
	ports, err := testserver.FreePorts(1)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "msctl-activemq-")
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "activemq.xml")
	if err := os.WriteFile(conf, fmt.Appendf(nil, activeMQConfig, filepath.Join(dir, "data"), ports[0]), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(java, "-Xms32M", "-Xmx256M",
		"-Dactivemq.home=/usr/share/activemq", "-Dactivemq.base="+dir, "-Dactivemq.conf="+dir, "-Dactivemq.data="+filepath.Join(dir, "data"),
		"-jar", activeMQJar, "start", "xbean:file:"+conf)
	cmd.Dir = dir
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	a := &ActiveMQ{STOMPURL: "stomp://probe:secret@127.0.0.1:" + strconv.Itoa(ports[0]), cmd: cmd, logs: logs, dir: dir}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return a, nil
		}
		select {
		case <-ctx.Done():
			a.Stop()
			return nil, fmt.Errorf("activemq did not listen on %s within 60s; its output:\n%s", addr, logs.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop stops the broker and removes its folder.
func (a *ActiveMQ) Stop() {
	if a.cmd.Process != nil {
		_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = a.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	os.RemoveAll(a.dir)
}
