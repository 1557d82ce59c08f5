package service

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/testserver"
)

// TestServiceEndToEnd runs a generated service against a real Consul agent:
// it registers and passes its check, answers through the generated
// discovery client, refuses past its rate limit with the quota headers, and
// deregisters on SIGTERM.
func TestServiceEndToEnd(t *testing.T) {
	consul := testserver.StartConsul(t)
	dir := generate(t, Answers{Name: "orders", Module: "example.com/shop/orders", Protocols: []string{"http"}, Registry: "consul", RateLimit: 1, RateBurst: 3})
	bin := filepath.Join(dir, "bin")
	goCmd(t, dir, "build", "-o", bin+"/", "./cmd/orders", "./cmd/call")
	ports, err := testserver.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	svc := exec.Command(filepath.Join(bin, "orders"), "-http-addr", fmt.Sprintf("127.0.0.1:%d", ports[0]),
		"-consul-addr", consul.HTTPAddr, "-advertise-addr", "127.0.0.1")
	logs, _ := svc.StderrPipe()
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	var logBuf strings.Builder
	logDone := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			logBuf.WriteString(sc.Text() + "\n")
		}
		close(logDone)
	}()
	stopped := false
	defer func() {
		if !stopped {
			svc.Process.Kill()
			svc.Wait()
		}
	}()

	// Registered, and its HTTP check passes.
	var status string
	for i := 0; i < 150; i++ {
		status = checkStatus(t, consul.HTTPAddr, "orders")
		if status == "passing" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status != "passing" {
		t.Fatalf("service check is %q, want passing; service logs:\n%s", status, logBuf.String())
	}

	// Through the generated client, found in Consul: 3 allowed, then 429s.
	call := exec.Command(filepath.Join(bin, "call"), "-consul-addr", consul.HTTPAddr, "-service", "orders", "-n", "6", "GET", "/v1/items")
	out, err := call.CombinedOutput()
	if err != nil {
		t.Fatalf("call: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "200 ") || !strings.HasPrefix(lines[5], "429 ") {
		t.Fatalf("call output:\n%s", out)
	}
	for _, want := range []string{`RateLimit="\"default\";r=0;t=3"`, `RateLimit-Policy="\"default\";q=3;w=3"`, `Retry-After="1"`} {
		if !strings.Contains(lines[5], want) {
			t.Errorf("429 line lacks %s:\n%s", want, lines[5])
		}
	}

	// SIGTERM: deregistered, clean exit.
	if err := svc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	werr := make(chan error, 1)
	go func() { werr <- svc.Wait() }()
	select {
	case err := <-werr:
		stopped = true
		if err != nil {
			t.Errorf("service exit: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("service did not stop on SIGTERM")
	}
	<-logDone
	if s := checkStatus(t, consul.HTTPAddr, "orders"); s != "" {
		t.Errorf("after SIGTERM the service is still registered (%s)", s)
	}
	if !strings.Contains(logBuf.String(), `"msg":"deregistered"`) {
		t.Errorf("no deregistration in the logs:\n%s", logBuf.String())
	}
}

// checkStatus returns the aggregated check status of service's instances
// in the catalog ("" when none is registered).
func checkStatus(t *testing.T, addr, service string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/v1/health/service/" + service)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var entries []struct {
		Checks []struct {
			ServiceName string
			Status      string
		}
	}
	if err := json.Unmarshal(b, &entries); err != nil {
		t.Fatalf("consul answer %s: %v", b, err)
	}
	if len(entries) == 0 {
		return ""
	}
	status := "passing"
	for _, c := range entries[0].Checks {
		if c.ServiceName == service && c.Status != "passing" {
			status = c.Status
		}
	}
	return status
}

// TestServiceEndToEndEtcd runs a generated service registering in a real
// etcd: the generated client finds it through etcd, and after SIGTERM the
// lease is revoked so it cannot be found any more.
func TestServiceEndToEndEtcd(t *testing.T) {
	etcd := testserver.StartEtcd(t)
	dir := generate(t, Answers{Name: "orders", Protocols: []string{"http"}, Registry: "etcd"})
	bin := filepath.Join(dir, "bin")
	goCmd(t, dir, "build", "-o", bin+"/", "./cmd/orders", "./cmd/call")
	ports, err := testserver.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	svc := exec.Command(filepath.Join(bin, "orders"), "-http-addr", fmt.Sprintf("127.0.0.1:%d", ports[0]), "-etcd-endpoints", etcd.ClientAddr)
	var logs strings.Builder
	svc.Stderr = &logs
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	defer svc.Process.Kill()
	call := func() (string, error) {
		out, err := exec.Command(filepath.Join(bin, "call"), "-etcd-endpoints", etcd.ClientAddr, "-service", "orders", "GET", "/v1/items").CombinedOutput()
		return string(out), err
	}
	var out string
	for i := 0; i < 100; i++ {
		if out, err = call(); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || !strings.HasPrefix(out, fmt.Sprintf("200 127.0.0.1:%d ", ports[0])) {
		t.Fatalf("call through etcd: %v\n%s\nservice logs:\n%s", err, out, logs.String())
	}
	if err := svc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := svc.Wait(); err != nil {
		t.Fatalf("service exit: %v\n%s", err, logs.String())
	}
	if out, err := call(); err == nil || !strings.Contains(out, "no available endpoint") {
		t.Errorf("after SIGTERM the service is still found in etcd: %v\n%s", err, out)
	}
}
