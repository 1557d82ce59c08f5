package probe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// IntrospectionQuery asks for the schema's root types and type names: enough
// to prove the endpoint serves GraphQL with introspection on, and small.
const IntrospectionQuery = `query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name } types { name kind } } }`

// GraphQLOptions configure a GraphQL probe: a POST of the query as JSON
// over an HTTPProber, so the HTTP phases and TLS details come with it.
type GraphQLOptions struct {
	HTTP          HTTPOptions
	Query         string
	Variables     json.RawMessage
	OperationName string
	// Introspection sends IntrospectionQuery instead of Query.
	Introspection bool
}

// GraphQLDetails are the GraphQL-specific fields of a Result.
type GraphQLDetails struct {
	Introspection bool     `json:"introspection"`
	Errors        []string `json:"errors,omitempty"`
	DataBytes     int      `json:"data_bytes"`
	// Schema root types and the number of types (introspection only).
	QueryType        string `json:"query_type,omitempty"`
	MutationType     string `json:"mutation_type,omitempty"`
	SubscriptionType string `json:"subscription_type,omitempty"`
	Types            int    `json:"types,omitempty"`
}

// GraphQLProber probes a GraphQL endpoint.
type GraphQLProber struct {
	http          *HTTPProber
	introspection bool
}

// NewGraphQL builds the request; nothing is sent.
func NewGraphQL(o GraphQLOptions) (*GraphQLProber, error) {
	q := o.Query
	if o.Introspection {
		q = IntrospectionQuery
	}
	if strings.TrimSpace(q) == "" {
		return nil, errors.New("no query: give --query or --introspect")
	}
	if o.Variables != nil && !json.Valid(o.Variables) {
		return nil, errors.New("--variables is not valid JSON")
	}
	body, err := json.Marshal(struct {
		Query         string          `json:"query"`
		Variables     json.RawMessage `json:"variables,omitempty"`
		OperationName string          `json:"operationName,omitempty"`
	}{q, o.Variables, o.OperationName})
	if err != nil {
		return nil, err
	}
	h := o.HTTP
	h.Method, h.Body = "POST", body
	h.Headers = append([]string{"Content-Type: application/json", "Accept: application/graphql-response+json, application/json"}, h.Headers...)
	hp, err := NewHTTP(h)
	if err != nil {
		return nil, err
	}
	return &GraphQLProber{http: hp, introspection: o.Introspection}, nil
}

// Close drops the kept connection.
func (p *GraphQLProber) Close() error { return p.http.Close() }

// Probe posts the query and reads the GraphQL response: errors in it fail
// the probe with class status.
func (p *GraphQLProber) Probe(ctx context.Context) *Result {
	r := p.http.Probe(ctx)
	r.Protocol = "graphql"
	g := &GraphQLDetails{Introspection: p.introspection}
	r.GraphQL = g
	if r.StatusCode < 0 || (r.ErrorClass != ClassNone && r.ErrorClass != ClassStatus) {
		return r
	}
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &resp); err != nil || (resp.Data == nil && resp.Errors == nil) {
		if r.ErrorClass == ClassNone {
			r.Fail(PhaseServer, ClassProtocol, fmt.Errorf("not a GraphQL response (want JSON with data or errors): %.80q", r.Body))
		}
		return r
	}
	if string(resp.Data) != "null" {
		g.DataBytes = len(resp.Data)
	}
	for _, e := range resp.Errors {
		g.Errors = append(g.Errors, e.Message)
	}
	if p.introspection && g.DataBytes > 0 {
		var s struct {
			Schema struct {
				QueryType, MutationType, SubscriptionType *struct{ Name string }
				Types                                     []struct{ Name string }
			} `json:"__schema"`
		}
		if json.Unmarshal(resp.Data, &s) == nil {
			name := func(t *struct{ Name string }) string {
				if t == nil {
					return ""
				}
				return t.Name
			}
			g.QueryType, g.MutationType, g.SubscriptionType = name(s.Schema.QueryType), name(s.Schema.MutationType), name(s.Schema.SubscriptionType)
			g.Types = len(s.Schema.Types)
		}
	}
	if len(g.Errors) > 0 {
		msg := fmt.Errorf("GraphQL errors: %s", strings.Join(g.Errors, "; "))
		if r.ErrorClass == ClassStatus {
			msg = fmt.Errorf("%s; %w", r.Error, msg)
		}
		r.Fail(PhaseServer, ClassStatus, msg)
	}
	return r
}
