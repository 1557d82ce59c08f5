package gateway

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/testserver"
)

const e2eSecret = "e2e-secret-e2e-secret-e2e-secret-e2e"

// hs256 signs a JWT by hand (msctl itself does not need a JWT library).
func hs256(subject string) string {
	enc := base64.RawURLEncoding.EncodeToString
	head := enc([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body := enc([]byte(fmt.Sprintf(`{"sub":%q,"exp":%d}`, subject, time.Now().Add(time.Hour).Unix())))
	mac := hmac.New(sha256.New, []byte(e2eSecret))
	mac.Write([]byte(head + "." + body))
	return head + "." + body + "." + enc(mac.Sum(nil))
}

// loopbackBackend is a small HTTP backend registered in Consul as service.
func loopbackBackend(t *testing.T, consul, service, id string, cacheable bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cacheable {
			w.Header().Set("Cache-Control", "no-store")
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"instance": id, "path": r.URL.Path, "subject": r.Header.Get("X-Auth-Subject")})
	}))
	t.Cleanup(srv.Close)
	port, _ := strconv.Atoi(srv.URL[strings.LastIndex(srv.URL, ":")+1:])
	reg, _ := json.Marshal(map[string]any{"ID": id, "Name": service, "Address": "127.0.0.1", "Port": port})
	req, _ := http.NewRequest("PUT", "http://"+consul+"/v1/agent/service/register", bytes.NewReader(reg))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("registering %s: %s", id, resp.Status)
	}
	return srv
}

type reply struct {
	code int
	h    http.Header
	body map[string]any
}

func call(t *testing.T, url, subject string, hdr ...string) reply {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if subject != "" {
		req.Header.Set("Authorization", "Bearer "+hs256(subject))
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := reply{code: resp.StatusCode, h: resp.Header}
	json.Unmarshal(b, &r.body)
	return r
}

// TestGatewayEndToEnd runs a generated gateway against a real Consul agent
// with loopback backends registered there: it routes and balances across
// both instances of a service, refuses requests without a valid JWT,
// answers 429 past a client's limit, masks a backend that went down with
// its cached answer, answers the configured default when nothing is
// cached, merges a composite route, follows an instance registered after
// it started, and deregisters on SIGTERM.
func TestGatewayEndToEnd(t *testing.T) {
	consul := testserver.StartConsul(t)
	dir := generate(t, Answers{Name: "edge", Module: "example.com/shop/edge", Registry: "consul",
		Routes:     []string{"/orders=orders", "/users=users", "/inventory=inventory"},
		Composites: []string{"/dashboard=orders/v1/items,people:users/v1/users"}})
	bin := filepath.Join(dir, "bin")
	goCmd(t, dir, "build", "-o", bin+"/", "./cmd/edge")

	loopbackBackend(t, consul.HTTPAddr, "orders", "orders-1", false)
	loopbackBackend(t, consul.HTTPAddr, "orders", "orders-2", false)
	users := loopbackBackend(t, consul.HTTPAddr, "users", "users-1", true)

	ports, err := testserver.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	gw := exec.Command(filepath.Join(bin, "edge"), "-http-addr", addr, "-consul-addr", consul.HTTPAddr,
		"-advertise-addr", "127.0.0.1", "-rate-limit", "1", "-rate-burst", "5",
		"-cache-ttl", "1h", "-fallback", `/inventory={"items":[],"degraded":true}`)
	gw.Env = append(os.Environ(), "JWT_HMAC_KEY="+e2eSecret)
	logs, _ := gw.StderrPipe()
	if err := gw.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var logBuf strings.Builder
	logDone := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			mu.Lock()
			logBuf.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
		close(logDone)
	}()
	gwLogs := func() string { mu.Lock(); defer mu.Unlock(); return logBuf.String() }
	stopped := false
	defer func() {
		if !stopped {
			gw.Process.Kill()
			gw.Wait()
		}
	}()

	// Registered in Consul, and passing: its /readyz answers once every
	// backend service has been looked up.
	var status string
	for i := 0; i < 150; i++ {
		if status = checkStatus(t, consul.HTTPAddr, "edge"); status == "passing" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status != "passing" {
		t.Fatalf("gateway check is %q, want passing; logs:\n%s", status, gwLogs())
	}
	base := "http://" + addr

	if r := call(t, base+"/orders/v1/items", ""); r.code != 401 {
		t.Fatalf("without a token: %d, want 401", r.code)
	}
	// mallory's valid token with its claims swapped for admin's.
	parts := strings.Split(hs256("mallory"), ".")
	parts[1] = strings.Split(hs256("admin"), ".")[1]
	forged := strings.Join(parts, ".")
	if r := call(t, base+"/orders/v1/items", "", "Authorization", "Bearer "+forged); r.code != 401 {
		t.Fatalf("with a forged token: %d, want 401", r.code)
	}
	seen := map[any]int{}
	for i := 0; i < 4; i++ {
		r := call(t, base+"/orders/v1/items", "alice")
		if r.code != 200 || r.body["path"] != "/v1/items" || r.body["subject"] != "alice" {
			t.Fatalf("GET /orders/v1/items: %d %v", r.code, r.body)
		}
		seen[r.body["instance"]]++
	}
	if seen["orders-1"] != 2 || seen["orders-2"] != 2 {
		t.Errorf("not balanced across both instances: %v", seen)
	}
	// A new instance is seen through the blocking query, without a restart.
	loopbackBackend(t, consul.HTTPAddr, "orders", "orders-3", false)
	found := false
	for i := 0; i < 50 && !found; i++ {
		for j := 0; j < 3; j++ {
			found = found || call(t, base+"/orders/v1/items", fmt.Sprintf("watcher-%d", i)).body["instance"] == "orders-3"
		}
		if !found {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !found {
		t.Fatalf("the instance registered after start was never routed to; logs:\n%s", gwLogs())
	}
	var last reply
	for i := 0; i < 6; i++ {
		last = call(t, base+"/orders/v1/items", "greedy")
	}
	if last.code != 429 || last.h.Get("Retry-After") == "" || last.h.Get("RateLimit-Policy") != `"default";q=5;w=5` || !strings.HasPrefix(last.h.Get("RateLimit"), `"default";r=0;`) {
		t.Fatalf("past the limit: %d %v", last.code, last.h)
	}
	r := call(t, base+"/dashboard", "bob")
	orders, _ := r.body["orders"].(map[string]any)
	people, _ := r.body["people"].(map[string]any)
	if r.code != 200 || orders["path"] != "/v1/items" || people["instance"] != "users-1" {
		t.Fatalf("composite: %d %v", r.code, r.body)
	}
	if r := call(t, base+"/users/v1/users", "bob"); r.code != 200 || r.h.Get("X-Cache") != "MISS" {
		t.Fatalf("users: %d %v", r.code, r.h)
	}
	users.Close()
	// A fresh cached answer is served without asking the backend...
	if r := call(t, base+"/users/v1/users", "dave"); r.code != 200 || r.h.Get("X-Cache") != "HIT" || r.body["instance"] != "users-1" {
		t.Fatalf("users down, cached: %d %v %v", r.code, r.h, r.body)
	}
	// ...and when the client asks the backend (no-cache), its failure is
	// masked with the cached answer.
	r = call(t, base+"/users/v1/users", "dave", "Cache-Control", "no-cache")
	if r.code != 200 || r.h.Get("X-Gateway-Fallback") != "cache" || r.h.Get("X-Cache") != "STALE" || r.body["instance"] != "users-1" {
		t.Fatalf("users down, revalidating: %d %v %v", r.code, r.h, r.body)
	}
	r = call(t, base+"/inventory/v1/items", "carol")
	if r.code != 200 || r.h.Get("X-Gateway-Fallback") != "default" || r.body["degraded"] != true {
		t.Fatalf("inventory (no instance, nothing cached): %d %v %v", r.code, r.h, r.body)
	}

	if err := gw.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-logDone
	if err := gw.Wait(); err != nil {
		t.Fatalf("gateway exit: %v\n%s", err, gwLogs())
	}
	stopped = true
	if s := checkStatus(t, consul.HTTPAddr, "edge"); s != "" {
		t.Errorf("after SIGTERM the gateway is still registered (%s)", s)
	}
}

// checkStatus returns the aggregated check status of service's instances
// ("" when none is registered).
func checkStatus(t *testing.T, addr, service string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/v1/health/service/" + service)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var entries []struct {
		Checks []struct {
			ServiceName string
			Status      string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&entries); err != nil {
		t.Fatal(err)
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
