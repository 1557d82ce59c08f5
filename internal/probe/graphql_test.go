package probe

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/testserver/probeserver"
)

func TestGraphQLProbe(t *testing.T) {
	s := probeserver.StartGraphQL()
	defer s.Close()
	fx, _ := startFixture(t)
	tests := []struct {
		name      string
		opts      GraphQLOptions
		wantClass ErrorClass
		wantExit  int
		check     func(t *testing.T, r *Result)
	}{
		{name: "query", opts: GraphQLOptions{HTTP: HTTPOptions{URL: s.URL}, Query: `{ service { name instances } }`},
			check: func(t *testing.T, r *Result) {
				wantBody(t, r, `{"data":{"service":{"name":"orders","instances":3}}}`)
				want(t, "protocol", r.Protocol, "graphql")
			}},
		{name: "variables", opts: GraphQLOptions{HTTP: HTTPOptions{URL: s.URL}, Query: `query($n: String!) { hello(name: $n) }`, Variables: []byte(`{"n":"probe"}`)},
			check: func(t *testing.T, r *Result) { wantBody(t, r, `hello probe`) }},
		{name: "introspection", opts: GraphQLOptions{HTTP: HTTPOptions{URL: s.URL}, Introspection: true},
			check: func(t *testing.T, r *Result) {
				g := r.GraphQL
				if g.QueryType != "Query" || g.MutationType != "Mutation" || g.SubscriptionType != "" || g.Types < 5 {
					t.Errorf("schema = %+v", g)
				}
			}},
		{name: "resolver error", opts: GraphQLOptions{HTTP: HTTPOptions{URL: s.URL}, Query: `{ broken }`},
			wantClass: ClassStatus, wantExit: 1,
			check: func(t *testing.T, r *Result) { wantErr(t, r, "broken on purpose") }},
		{name: "invalid query", opts: GraphQLOptions{HTTP: HTTPOptions{URL: s.URL}, Query: `{ nope }`},
			wantClass: ClassStatus, wantExit: 1,
			check: func(t *testing.T, r *Result) { wantErr(t, r, `Cannot query field "nope"`) }},
		{name: "not a GraphQL endpoint", opts: GraphQLOptions{HTTP: HTTPOptions{URL: fx.Plain + "/"}, Query: `{ a }`},
			wantClass: ClassProtocol, wantExit: 1},
		{name: "HTTP error", opts: GraphQLOptions{HTTP: HTTPOptions{URL: fx.Plain + "/status/502"}, Query: `{ a }`},
			wantClass: ClassStatus, wantExit: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewGraphQL(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			results, err := Run(context.Background(), p, RunOptions{Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			r := results[0]
			if r.ErrorClass != tt.wantClass {
				t.Fatalf("class = %q, want %q (error %q)", r.ErrorClass, tt.wantClass, r.Error)
			}
			if r.ErrorClass != ClassNone && r.FailedPhase != PhaseServer {
				t.Errorf("failed phase = %q, want server", r.FailedPhase)
			}
			if got := ExitCode(results); got != tt.wantExit {
				t.Errorf("exit code = %d, want %d", got, tt.wantExit)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
	if _, err := NewGraphQL(GraphQLOptions{HTTP: HTTPOptions{URL: s.URL}}); err == nil || !strings.Contains(err.Error(), "no query") {
		t.Errorf("empty query: %v", err)
	}
}
