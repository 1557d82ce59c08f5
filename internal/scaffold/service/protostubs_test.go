package service

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	// Registers google.api.http as msctl's binary has it registered
	// (through grpc-gateway); without it, protoc-gen-go's plugin sees a new
	// extension and re-parses every option itself.
	_ "google.golang.org/genproto/googleapis/api/annotations"
)

// httpAnnotated uses google.api.http, an extension linked into msctl, with
// a message value of several fields. http.proto is cut down to the fields
// used, with their numbers.
var httpAnnotated = map[string][]byte{
	"google/api/http.proto": []byte(`syntax = "proto3";
package google.api;
option go_package = "google.golang.org/genproto/googleapis/api/annotations;annotations";
message HttpRule {
  string selector = 1;
  oneof pattern {
    string get = 2;
    string put = 3;
    string post = 4;
    string delete = 5;
    string patch = 6;
  }
  string body = 7;
  string response_body = 12;
  repeated HttpRule additional_bindings = 11;
}
`),
	"google/api/annotations.proto": []byte(`syntax = "proto3";
package google.api;
option go_package = "google.golang.org/genproto/googleapis/api/annotations;annotations";
import "google/api/http.proto";
import "google/protobuf/descriptor.proto";
extend google.protobuf.MethodOptions { HttpRule http = 72295728; }
`),
	"items/v1/items.proto": []byte(`syntax = "proto3";
package items.v1;
option go_package = "example.com/x/api/items/v1;itemsv1";
option java_multiple_files = true;
import "google/api/annotations.proto";
// Item is stored.
message Item {
  option deprecated = true;
  string id = 1; // trailing
}
service Items {
  rpc Get(Item) returns (Item) {
    option idempotency_level = NO_SIDE_EFFECTS;
    option (google.api.http) = {
      post: "/v1/items"
      body: "*"
      response_body: "id"
      selector: "items.v1.Items.Get"
      additional_bindings { get: "/v1/items/{id}" }
    };
  }
}
`),
}

// ownOption is a project's own message-valued option: protoparse hands
// options it has no Go type for back as unknown fields whose nested fields
// it re-encodes in no stable order.
var ownOption = map[string][]byte{
	"own/v1/own.proto": []byte(`syntax = "proto3";
package own.v1;
option go_package = "example.com/x/api/own/v1;ownv1";
import "google/protobuf/descriptor.proto";
message Rule {
  string a = 1;
  string b = 2;
  int32 c = 3;
  bool d = 4;
  repeated string e = 5;
}
extend google.protobuf.MethodOptions { Rule rule = 50001; }
service Own {
  rpc Get(Rule) returns (Rule) {
    option idempotency_level = NO_SIDE_EFFECTS;
    option (rule) = {a: "x" b: "y" c: 3 d: true e: ["1", "2"]};
  }
}
`),
}

// TestProtoStubsDeterministic generates stubs for protos with custom
// options several times: the descriptors embedded in the .pb.go files must
// be the same bytes every time, or regenerating a project would show
// spurious diffs. (protoparse gives options msctl links a Go type, and
// protoc-gen-go's plugin library parses the others again.)
func TestProtoStubsDeterministic(t *testing.T) {
	for name, protos := range map[string]map[string][]byte{"linked option": httpAnnotated, "own option": ownOption} {
		t.Run(name, func(t *testing.T) {
			rendered := map[string][]byte{}
			for p, b := range protos {
				rendered[ProtoRoot+"/"+p] = b
			}
			var first string
			for i := 0; i < 8; i++ {
				files, err := protoStubs(rendered)
				if err != nil {
					t.Fatal(err)
				}
				var all bytes.Buffer
				for _, f := range files {
					if strings.HasSuffix(f.Path, ".pb.go") && !strings.Contains(f.Path, "google/") {
						fmt.Fprintf(&all, "== %s\n%s", f.Path, f.Content)
					}
				}
				if !strings.Contains(all.String(), "_grpc.pb.go") {
					t.Fatalf("no gRPC stubs among %d files", len(files))
				}
				if i == 0 {
					first = all.String()
					continue
				}
				if all.String() != first {
					t.Fatalf("run %d generated different stubs", i+1)
				}
			}
		})
	}
}

// TestProtoStubsComments checks that comments reach the generated code.
func TestProtoStubsComments(t *testing.T) {
	rendered := map[string][]byte{}
	for p, b := range httpAnnotated {
		rendered[ProtoRoot+"/"+p] = b
	}
	files, err := protoStubs(rendered)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f.Path, "items/v1/items.pb.go") {
			for _, want := range []string{"// Item is stored.", "// trailing"} {
				if !bytes.Contains(f.Content, []byte(want)) {
					t.Errorf("items.pb.go lacks %q", want)
				}
			}
			return
		}
	}
	t.Fatalf("no items.pb.go among %d files", len(files))
}
