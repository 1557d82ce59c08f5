package etcd

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoOfficialClientLinked keeps the adapter off go.etcd.io/etcd/client/v3
// and what it brings (etcd's protobufs, grpc-gateway, zap): their package
// initialisers would run on every msctl start. Tests may still use them.
func TestNoOfficialClientLinked(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/msctl/msctl/internal/registry/etcd").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"go.etcd.io/", "go.uber.org/zap", "github.com/grpc-ecosystem/grpc-gateway", "google.golang.org/grpc"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("the etcd adapter links %s", dep)
			}
		}
	}
}
