package main

import (
	"bytes"
	"errors"
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
