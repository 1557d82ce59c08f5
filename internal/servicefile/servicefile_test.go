package servicefile

import (
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	in := &Service{
		Name: "orders", Module: "example.com/org/orders", Protocols: []string{"http", "grpc"},
		Ports:      map[string]int{"http": 8080, "grpc": 9090},
		APIs:       []API{{Kind: "openapi", Path: "api/openapi.yaml"}, {Kind: "proto", Path: "api/orders/v1/orders.proto"}},
		RateLimits: []RateLimit{{Protocol: "http", Rate: 100, Burst: 20, Per: "client", Identity: "X-Client-ID"}},
		Deploy:     &Deploy{Replicas: 3, Resources: map[string]string{"cpu": "500m"}},
	}
	b, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Parse("service.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	if out.Name != "orders" || out.Ports["grpc"] != 9090 || out.RateLimits[0].Burst != 20 || out.APIs[1].Kind != "proto" || out.Deploy.Replicas != 3 {
		t.Errorf("round trip lost data: %+v", out)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no name", "protocols: [http]\n", "name is missing"},
		{"unknown field", "name: x\nprotocol: [http]\n", "line 2"},
		{"bad api kind", "name: x\napis:\n  - kind: wsdl\n    path: a\n", `kind "wsdl"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("svc.yaml", []byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "svc.yaml") {
				t.Errorf("err = %v, want it to name the file and contain %q", err, tt.want)
			}
		})
	}
}
