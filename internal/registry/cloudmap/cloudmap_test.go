package cloudmap

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/testserver"
)

func seeded(t *testing.T) *testserver.FakeCloudMap {
	f := testserver.StartFakeCloudMap(t, "AKIDFAKE")
	f.AddNamespace("ns-shop", "shop.local")
	f.AddNamespace("ns-other", "other.local")
	f.AddInstance("ns-shop", "checkout", "i-1", "HEALTHY", map[string]string{"AWS_INSTANCE_IPV4": "10.2.0.1", "AWS_INSTANCE_PORT": "8080", "version": "5.0.0", "AVAILABILITY_ZONE": "us-east-1a"})
	f.AddInstance("ns-shop", "checkout", "i-2", "UNHEALTHY", map[string]string{"AWS_INSTANCE_IPV4": "10.2.0.2", "AWS_INSTANCE_PORT": "8080", "version": "5.1.0"})
	f.AddInstance("ns-shop", "checkout", "i-3", "UNKNOWN", map[string]string{"AWS_INSTANCE_IPV4": "10.2.0.3", "AWS_INSTANCE_PORT": "8080"})
	f.AddService("ns-shop", "cart")
	f.AddInstance("ns-other", "ghost", "i-9", "HEALTHY", map[string]string{"AWS_INSTANCE_IPV4": "10.9.0.1"})
	return f
}

func TestCloudMapAgainstFake(t *testing.T) {
	f := seeded(t)
	client := sd.New(sd.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(f.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDFAKE", "secret", ""),
	})
	r := New(client, "shop.local", true)
	ctx := context.Background()

	svcs, err := r.Services(ctx, registry.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range svcs {
		got = append(got, fmt.Sprintf("%s %d p%d c%d u%d %v %v", s.Name, s.Instances, s.ByHealth[registry.Passing], s.ByHealth[registry.Critical], s.ByHealth[registry.Unknown], s.Versions, s.Tags))
	}
	if want := "[cart 0 p0 c0 u0 [] [] checkout 3 p1 c1 u1 [5.0.0 5.1.0] [zone=us-east-1a]]"; fmt.Sprint(got) != want {
		t.Errorf("services\n got %v\nwant %s", got, want)
	}

	ins, err := r.Instances(ctx, "checkout")
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 3 || ins[0].Address != "10.2.0.1" || ins[0].Port != 8080 || ins[1].Health != registry.Critical || ins[2].Health != registry.Unknown {
		t.Errorf("instances = %+v", ins)
	}
	if _, err := r.Instances(ctx, "nope"); !errors.Is(err, registry.ErrServiceNotFound) {
		t.Errorf("unknown service: %v", err)
	}
	// DiscoverInstances' data- host prefix is not added to a custom endpoint.
	for _, h := range f.Hosts() {
		if strings.HasPrefix(h, "data-") {
			t.Errorf("request to %s", h)
		}
	}
}

// TestCloudMapOpen goes through Open and the SDK's default configuration
// chain, with credentials from the environment.
func TestCloudMapOpen(t *testing.T) {
	f := seeded(t)
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "")
	ctx := context.Background()

	r, err := registry.Open(config.Context{Registry: "cloudmap", Address: "shop.local?region=us-east-1&endpoint=" + f.URL})
	if err != nil {
		t.Fatal(err)
	}
	if ins, err := r.Instances(ctx, "checkout"); err != nil || len(ins) != 3 {
		t.Fatalf("instances = %v, %v", ins, err)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDWRONG")
	r, _ = registry.Open(config.Context{Registry: "cloudmap", Address: "shop.local?region=us-east-1&endpoint=" + f.URL})
	if _, err := r.Services(ctx, registry.Query{}); !errors.Is(err, registry.ErrPermissionDenied) {
		t.Errorf("wrong key: %v", err)
	}

	f.Close()
	r, _ = registry.Open(config.Context{Registry: "cloudmap", Address: "shop.local?region=us-east-1&endpoint=" + f.URL})
	_, err = r.Services(ctx, registry.Query{})
	var ue *registry.UnreachableError
	if !errors.As(err, &ue) {
		t.Errorf("closed endpoint: %v", err)
	}

	if _, err := registry.Open(config.Context{Registry: "cloudmap"}); err == nil {
		t.Error("no namespace should be refused")
	}
}
