package registry

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// listedRegistry lists services of which some have gone by the time
// their instances are read. It is a stand-in for a registry that changes
// under msctl, which no real server here does on cue.
type listedRegistry struct {
	listed []string
	live   map[string][]Instance
	fail   error // Instances of "broken" fails with it
}

func (r *listedRegistry) Kind() string { return "listed" }

func (r *listedRegistry) Services(context.Context, Query) ([]Service, error) {
	var out []Service
	for _, n := range r.listed {
		out = append(out, Service{Name: n})
	}
	return out, nil
}

func (r *listedRegistry) Instances(_ context.Context, name string) ([]Instance, error) {
	if name == "broken" {
		return nil, r.fail
	}
	ins, ok := r.live[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, ErrServiceNotFound)
	}
	return ins, nil
}

// bulkRegistry also reads everything at once.
type bulkRegistry struct{ listedRegistry }

func (r *bulkRegistry) AllInstances(context.Context) ([]Instance, error) {
	return []Instance{{ID: "b1", Service: "api"}, {ID: "b2", Service: "api"}, {ID: "b3", Service: "db"}}, nil
}

// emptyAwareRegistry reads everything at once and names the services
// that have no instance.
type emptyAwareRegistry struct{ bulkRegistry }

func (r *emptyAwareRegistry) AllServices(context.Context) ([]Instance, []string, error) {
	return []Instance{{ID: "b1", Service: "api"}}, []string{"cart"}, nil
}

func TestReadInstances(t *testing.T) {
	ctx := context.Background()
	reg := &listedRegistry{
		listed: []string{"web", "gone"},
		live:   map[string][]Instance{"web": {{ID: "w1", Service: "web"}}},
	}

	all, err := ReadInstances(ctx, reg, nil, 2, 0)
	if err != nil {
		t.Fatalf("every service: %v", err)
	}
	if len(all) != 2 || len(all["web"]) != 1 || all["gone"] != nil {
		t.Errorf("every service: got %v, want web with one instance and gone empty", all)
	}

	if _, err := ReadInstances(ctx, reg, []string{"gone"}, 2, 0); !errors.Is(err, ErrServiceNotFound) {
		t.Errorf("a named service that is not found: got %v, want ErrServiceNotFound", err)
	}

	reg.fail = errors.New("connection refused")
	reg.listed = append(reg.listed, "broken")
	if _, err := ReadInstances(ctx, reg, nil, 2, 0); !errors.Is(err, reg.fail) {
		t.Errorf("a failing read: got %v, want %v", err, reg.fail)
	}

	bulk, err := ReadInstances(ctx, &bulkRegistry{}, nil, 2, 0)
	if err != nil || len(bulk["api"]) != 2 || len(bulk["db"]) != 1 {
		t.Errorf("bulk: got %v, %v; want api with 2 and db with 1", bulk, err)
	}

	// A service without instances is kept, empty: the doctor checks it.
	withEmpty, err := ReadInstances(ctx, &emptyAwareRegistry{}, nil, 2, 0)
	if cart, ok := withEmpty["cart"]; err != nil || !ok || len(cart) != 0 || len(withEmpty["api"]) != 1 || len(withEmpty) != 2 {
		t.Errorf("bulk with empty services: got %v, %v; want api with 1 and cart empty", withEmpty, err)
	}
}
