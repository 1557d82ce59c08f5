package consul

import (
	"context"
	"fmt"
	"testing"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/registry/regtest"
	"github.com/msctl/msctl/internal/testserver"
)

// BenchmarkServices lists 200 services x 3 instances from a real agent:
// the bulk path (a fixed number of requests) against one health request
// per service, the way the Consul CLI and most scripts do it. The
// end-to-end comparison with 1,000 services is scripts/bench/registry.sh.
func BenchmarkServices(b *testing.B) {
	c := testserver.StartConsul(b)
	for s := 0; s < 200; s++ {
		for i := 0; i < 3; i++ {
			regtest.Register(b, c.HTTPAddr, regtest.Service{ID: fmt.Sprintf("s%d-%d", s, i), Name: fmt.Sprintf("s%d", s),
				Address: "127.0.0.1", Port: 10000 + s*3 + i,
				Checks: []regtest.Check{{TTL: "1h", Status: "passing"}}})
		}
	}
	r, err := New(config.Context{Address: c.HTTPAddr})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("bulk", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.Services(ctx, registry.Query{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("per-service", func(b *testing.B) {
		for b.Loop() {
			names, _, err := r.client.Catalog().Services(nil)
			if err != nil {
				b.Fatal(err)
			}
			for n := range names {
				if _, _, err := r.client.Health().Service(n, "", false, nil); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
