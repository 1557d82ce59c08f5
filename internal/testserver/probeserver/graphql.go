package probeserver

import (
	"errors"
	"net/http"
	"net/http/httptest"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/graph-gophers/graphql-go/relay"
)

const graphQLSchema = `
schema { query: Query mutation: Mutation }
type Query {
  hello(name: String!): String!
  service: Service!
  broken: String
}
type Service { name: String! instances: Int! }
type Mutation { ping: String! }
`

type gqlRoot struct{}

func (*gqlRoot) Hello(args struct{ Name string }) string { return "hello " + args.Name }
func (*gqlRoot) Service() *gqlService                    { return &gqlService{} }
func (*gqlRoot) Broken() (*string, error)                { return nil, errors.New("broken on purpose") }
func (*gqlRoot) Ping() string                            { return "pong" }

type gqlService struct{}

func (*gqlService) Name() string     { return "orders" }
func (*gqlService) Instances() int32 { return 3 }

// GraphQLServer is a real GraphQL server (github.com/graph-gophers/
// graphql-go) on loopback at URL + "/graphql", with introspection on.
type GraphQLServer struct {
	URL string
	srv *httptest.Server
}

// StartGraphQL starts the server; Close stops it.
func StartGraphQL() *GraphQLServer {
	schema := graphql.MustParseSchema(graphQLSchema, &gqlRoot{})
	mux := http.NewServeMux()
	mux.Handle("/graphql", &relay.Handler{Schema: schema})
	s := httptest.NewServer(mux)
	return &GraphQLServer{URL: s.URL + "/graphql", srv: s}
}

// Close stops the server.
func (s *GraphQLServer) Close() { s.srv.Close() }
