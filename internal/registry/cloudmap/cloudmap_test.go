package cloudmap

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery"

	"github.com/msctl/msctl/internal/config"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/testserver"
)

func seeded(t *testing.T) *testserver.FakeCloudMap {
	f := testserver.StartFakeCloudMap(t, "AKIDFAKE", "secret")
	f.AddNamespace("ns-shop", "shop.local")
	f.AddNamespace("ns-other", "other.local")
	f.AddInstance("ns-shop", "checkout", "i-1", "HEALTHY", map[string]string{"AWS_INSTANCE_IPV4": "10.2.0.1", "AWS_INSTANCE_PORT": "8080", "version": "5.0.0", "AVAILABILITY_ZONE": "us-east-1a"})
	f.AddInstance("ns-shop", "checkout", "i-2", "UNHEALTHY", map[string]string{"AWS_INSTANCE_IPV4": "10.2.0.2", "AWS_INSTANCE_PORT": "8080", "version": "5.1.0"})
	f.AddInstance("ns-shop", "checkout", "i-3", "UNKNOWN", map[string]string{"AWS_INSTANCE_IPV4": "10.2.0.3", "AWS_INSTANCE_PORT": "8080"})
	f.AddService("ns-shop", "cart")
	f.AddInstance("ns-other", "ghost", "i-9", "HEALTHY", map[string]string{"AWS_INSTANCE_IPV4": "10.9.0.1"})
	return f
}

// fakeClient is the SDK's client pointed at the fake, signing with the
// fake's access key and secret.
func fakeClient(f *testserver.FakeCloudMap, secret string, optFns ...func(*servicediscovery.Options)) *servicediscovery.Client {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", secret, "")}
	return NewAPI(cfg, f.URL, optFns...)
}

func TestCloudMapAgainstFake(t *testing.T) {
	f := seeded(t)
	// One namespace and one service per page: the adapter must follow
	// NextToken to reach shop.local (the fake pages by id: ns-other, then
	// ns-shop) and both of its services.
	f.SetPageSize(1)
	r := New(fakeClient(f, "secret"), "shop.local")
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
	if n := f.Calls("ListNamespaces"); n != 2 {
		t.Errorf("ListNamespaces called %d times, want 2 (two pages)", n)
	}
	if n := f.Calls("ListServices"); n != 2 {
		t.Errorf("ListServices called %d times, want 2 (two pages)", n)
	}

	ins, err := r.Instances(ctx, "checkout")
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 3 || ins[0].Address != "10.2.0.1" || ins[0].Port != 8080 || ins[1].Health != registry.Critical || ins[2].Health != registry.Unknown {
		t.Errorf("instances = %+v", ins)
	}
	if ins[0].Meta["version"] != "5.0.0" || ins[0].Version != "5.0.0" || ins[0].Checks[0].Output != "HealthStatus HEALTHY" {
		t.Errorf("instance 0 = %+v", ins[0])
	}
	if _, err := r.Instances(ctx, "nope"); !errors.Is(err, registry.ErrServiceNotFound) {
		t.Errorf("unknown service: %v", err)
	}
	if _, err := New(fakeClient(f, "secret"), "nowhere.local").Instances(ctx, "x"); err == nil || !strings.Contains(err.Error(), `no namespace "nowhere.local"`) {
		t.Errorf("unknown namespace: %v", err)
	}
	if _, err := New(fakeClient(f, "secret"), "nowhere.local").Services(ctx, registry.Query{}); err == nil || !strings.Contains(err.Error(), `no namespace "nowhere.local"`) {
		t.Errorf("unknown namespace: %v", err)
	}
	// DiscoverInstances' data- host prefix is not added to a custom endpoint.
	for _, h := range f.Hosts() {
		if strings.HasPrefix(h, "data-") {
			t.Errorf("request to %s", h)
		}
	}

	// A wrong secret fails the fake's signature check: permission denied.
	_, err = New(fakeClient(f, "not-the-secret"), "shop.local").Services(ctx, registry.Query{})
	if !errors.Is(err, registry.ErrPermissionDenied) || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Errorf("wrong secret: %v", err)
	}
	if strings.Contains(err.Error(), "not-the-secret") {
		t.Errorf("error shows the secret: %v", err)
	}
}

// TestCloudMapOpen goes through Open and the credential chain, with
// credentials from the environment.
func TestCloudMapOpen(t *testing.T) {
	f := seeded(t)
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	ctx := context.Background()
	addr := "shop.local?region=us-east-1&endpoint=" + f.URL

	r, err := registry.Open(config.Context{Registry: "cloudmap", Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	if ins, err := r.Instances(ctx, "checkout"); err != nil || len(ins) != 3 {
		t.Fatalf("instances = %v, %v", ins, err)
	}

	// The endpoint can come from the environment too; it is custom, so
	// DiscoverInstances gets no data- prefix either.
	t.Setenv("AWS_ENDPOINT_URL_SERVICEDISCOVERY", f.URL)
	r, _ = registry.Open(config.Context{Registry: "cloudmap", Address: "shop.local?region=us-east-1"})
	if ins, err := r.Instances(ctx, "checkout"); err != nil || len(ins) != 3 {
		t.Fatalf("instances through AWS_ENDPOINT_URL_SERVICEDISCOVERY = %v, %v", ins, err)
	}
	t.Setenv("AWS_ENDPOINT_URL_SERVICEDISCOVERY", "")

	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDWRONG")
	r, _ = registry.Open(config.Context{Registry: "cloudmap", Address: addr})
	if _, err := r.Services(ctx, registry.Query{}); !errors.Is(err, registry.ErrPermissionDenied) {
		t.Errorf("wrong key: %v", err)
	}

	// No region anywhere: the clear error.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
	r, _ = registry.Open(config.Context{Registry: "cloudmap", Address: "shop.local?endpoint=" + f.URL})
	if _, err := r.Services(ctx, registry.Query{}); err == nil || !strings.Contains(err.Error(), "no AWS region: set AWS_REGION or cloudmap://shop.local?region=REGION") {
		t.Errorf("no region: %v", err)
	}

	f.Close()
	r, _ = registry.Open(config.Context{Registry: "cloudmap", Address: addr})
	_, err = r.Services(ctx, registry.Query{})
	var ue *registry.UnreachableError
	if !errors.As(err, &ue) {
		t.Errorf("closed endpoint: %v", err)
	}

	if _, err := registry.Open(config.Context{Registry: "cloudmap"}); err == nil {
		t.Error("no namespace should be refused")
	}
}

// Settings msctl cannot use are input errors (exit 2), named in one line.
func TestCloudMapSettingsErrorsExit2(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", dir+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
	for _, c := range []struct{ name, addr, want string }{
		{"no credentials", "shop.local?region=us-east-1", "no AWS credentials"},
		{"unknown profile", "shop.local?region=us-east-1&profile=nope", `AWS profile "nope" is in neither`},
		{"bad endpoint", "shop.local?region=us-east-1&endpoint=ftp://x", "not an http(s) URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "bad endpoint" {
				t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
				t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
			}
			r, err := registry.Open(config.Context{Registry: "cloudmap", Address: c.addr})
			if err != nil {
				t.Fatal(err)
			}
			_, err = r.Services(context.Background(), registry.Query{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if code := exitcode.Of(registry.ExitError(err)); code != exitcode.Usage {
				t.Errorf("exit code %d, want %d (usage or input error)", code, exitcode.Usage)
			}
		})
	}
}
