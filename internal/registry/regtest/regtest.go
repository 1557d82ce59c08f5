// Package regtest builds registry scenarios on a real Consul agent for the
// tests of the adapter, the doctor and the commands: instances with
// passing, warning and critical checks, TTL checks, closed ports.
package regtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// Put sends a PUT with a JSON body to the Consul agent at addr and fails
// the test on anything but 200.
func Put(t testing.TB, addr, path string, body any) {
	t.Helper()
	if err := PutErr(addr, path, body); err != nil {
		t.Fatal(err)
	}
}

// PutErr is Put returning the error, for helpers outside tests.
func PutErr(addr, path string, body any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(http.MethodPut, "http://"+addr+path, r)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("PUT %s: %s: %s", path, resp.Status, b)
	}
	return nil
}

// Service is the agent API's registration body, the fields tests use.
type Service struct {
	ID      string            `json:"ID"`
	Name    string            `json:"Name"`
	Address string            `json:"Address,omitempty"`
	Port    int               `json:"Port,omitempty"`
	Tags    []string          `json:"Tags,omitempty"`
	Meta    map[string]string `json:"Meta,omitempty"`
	Checks  []Check           `json:"Checks,omitempty"`
}

// Check is an agent API check definition.
type Check struct {
	CheckID  string `json:"CheckID,omitempty"`
	Name     string `json:"Name,omitempty"`
	TTL      string `json:"TTL,omitempty"`
	TCP      string `json:"TCP,omitempty"`
	HTTP     string `json:"HTTP,omitempty"`
	Interval string `json:"Interval,omitempty"`
	Status   string `json:"Status,omitempty"`
}

// Register registers s with the agent at addr.
func Register(t testing.TB, addr string, s Service) {
	t.Helper()
	Put(t, addr, "/v1/agent/service/register", s)
}

// SetTTL moves a TTL check to status (pass, warn, fail) with output.
func SetTTL(t testing.TB, addr, checkID, status, output string) {
	t.Helper()
	Put(t, addr, fmt.Sprintf("/v1/agent/check/%s/%s?note=%s", status, checkID, output), nil)
}

// Listen opens a TCP listener on loopback that accepts and closes
// connections, standing in for a live instance; it is closed at cleanup.
func Listen(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// ClosedPort returns a loopback port nothing listens on.
func ClosedPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return p
}

// Eventually retries f every 100ms until it returns nil or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s: %v", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
