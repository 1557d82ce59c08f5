package doctor

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry/consul"
	"github.com/msctl/msctl/internal/registry/regtest"
	"github.com/msctl/msctl/internal/testserver"
)

// TestDoctorConsulACLHidesEverything: a real agent with ACLs on and
// default_policy deny answers a request without a token with an empty
// catalog, and one whose token may read another service only with an
// empty, filtered one. Neither is "nothing to check".
func TestDoctorConsulACLHidesEverything(t *testing.T) {
	t.Setenv("CONSUL_HTTP_TOKEN", "") // the client library's fallback
	const mgmt = "7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09"
	c := testserver.StartConsul(t, testserver.ConsulOptions{HCL: `acl { enabled = true
  default_policy = "deny"
  tokens { initial_management = "` + mgmt + `" } }`})
	put := func(path string, body any) []byte {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPut, "http://"+c.HTTPAddr+path, strings.NewReader(string(b)))
		req.Header.Set("X-Consul-Token", mgmt)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out json.RawMessage
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT %s: %s %s", path, resp.Status, out)
		}
		return out
	}
	put("/v1/agent/service/register", regtest.Service{ID: "web-1", Name: "web", Address: "127.0.0.1", Port: regtest.Listen(t)})
	put("/v1/acl/policy", map[string]string{"Name": "other-only", "Rules": `service "other" { policy = "read" }
node_prefix "" { policy = "read" }`})
	var tok struct{ SecretID string }
	if err := json.Unmarshal(put("/v1/acl/token", map[string]any{"Policies": []map[string]string{{"Name": "other-only"}}}), &tok); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	for _, tt := range []struct {
		name, token, reason string
	}{
		{"no token", "", "the request carried no token, so the anonymous token answered"},
		{"a token for another service", tok.SecretID, "X-Consul-Results-Filtered-By-ACLs"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reg, err := consul.New(config.Context{Address: c.HTTPAddr, Token: tt.token})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Diagnose(ctx, reg, Options{Probe: true})
			if err != nil {
				t.Fatal(err)
			}
			f := finding(rep, "acl-hidden", "")
			if f == nil || f.Severity != Critical || !strings.Contains(f.Reason, tt.reason) || !strings.Contains(f.Next, "--token-file") {
				t.Fatalf("finding %+v, want acl-hidden saying %q; all: %v", f, tt.reason, findingSet(rep))
			}
			hasNot(t, rep, "no-services")
		})
	}

	// With the management token everything shows and nothing is hidden.
	reg, err := consul.New(config.Context{Address: c.HTTPAddr, Token: mgmt})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Diagnose(ctx, reg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	hasNot(t, rep, "acl-hidden")
	if serviceReport(rep, "web") == nil {
		t.Errorf("web not checked with the management token: %v", findingSet(rep))
	}
	if why, err := reg.HiddenByACL(ctx); why != "" || err != nil {
		t.Errorf("HiddenByACL with the management token = %q, %v", why, err)
	}
}
