package testserver

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestStartConsul(t *testing.T) {
	c := StartConsul(t)
	resp, err := http.Get("http://" + c.HTTPAddr + "/v1/agent/self")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var self struct {
		Config struct {
			NodeName   string
			Datacenter string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&self); err != nil {
		t.Fatal(err)
	}
	if self.Config.NodeName != "msctl-test" || self.Config.Datacenter != "dc1" {
		t.Errorf("agent self = %+v", self.Config)
	}
}

func TestMissingBinaryMessage(t *testing.T) {
	t.Setenv("MSCTL_TESTENV_BIN", t.TempDir())
	t.Setenv("PATH", t.TempDir())
	_, err := Find("consul")
	if err == nil {
		t.Fatal("want an error for a missing binary")
	}
	if got := err.Error(); !strings.Contains(got, "scripts/testenv.sh") {
		t.Errorf("message does not say how to get it: %s", got)
	}
}
