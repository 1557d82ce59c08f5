package main

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Ctrl-C during a command stops it gracefully and exits 130, though the
// handler is installed only once the command runs (internal/app).
func TestInterruptExits130(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	cmd := exec.Command(msctlBin, "loadtest", srv.URL, "--rate", "20/s", "--duration", "60s", "-o", "json")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(time.Second)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("msctl did not stop within 20s of Ctrl-C\nstderr: %s", errOut.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("exit: %v, want exit status 130\nstderr: %s", err, errOut.String())
	}
	if !strings.Contains(out.String(), `"interrupted": true`) {
		t.Errorf("the partial report does not say it was interrupted:\n%s", out.String())
	}
}

// At the highest rate msctl accepts, against a loopback port that refuses
// every connection (the generator's busiest case), a run stops within a
// second of its bound and of SIGTERM, and prints its partial report.
func TestMaxRateRunIsBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := "http://" + ln.Addr().String() + "/"
	ln.Close() // now refused
	run := func(duration string, signal bool) (time.Duration, string, error) {
		cmd := exec.Command(msctlBin, "loadtest", target, "--rate", "1000000/s", "--duration", duration, "-o", "json")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		start := time.Now()
		if signal {
			time.Sleep(time.Second)
			start = time.Now()
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case err := <-done:
			return time.Since(start), out.String(), err
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("msctl loadtest --rate 1000000/s did not stop\nstderr: %s", errOut.String())
		}
		return 0, "", nil
	}
	if d, out, _ := run("1s", false); d > 2*time.Second || !strings.Contains(out, `"requests"`) {
		t.Errorf("--duration 1s took %v (want at most 2s), report:\n%.300s", d, out)
	}
	d, out, err := run("60s", true)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("SIGTERM: %v, want exit status 130", err)
	}
	if d > time.Second || !strings.Contains(out, `"interrupted": true`) {
		t.Errorf("SIGTERM: stopped %v after the signal (want within 1s), report:\n%.300s", d, out)
	}
}
