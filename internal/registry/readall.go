package registry

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ReadInstances reads the instances of services, by service name, with at
// most concurrency requests at once. No services means every service of
// reg: read in one call when reg is an AllServicesSource (services without
// instances included, as empty) or an AllInstancesSource, else listed and
// read one by one, and then a service that has gone since it was listed
// is an empty service rather than an error. A service named in services
// that is not found is ErrServiceNotFound. The first other error is
// returned with what was read.
//
// Each call to reg (the bulk read, the listing, each service's read) gets
// timeout of its own when timeout is positive: a registry that accepts
// connections and never answers fails the first call within it, and a
// large registry is not cut short by one deadline for all its calls.
func ReadInstances(ctx context.Context, reg Registry, services []string, concurrency int, timeout time.Duration) (map[string][]Instance, error) {
	out := map[string][]Instance{}
	explicit := len(services) > 0
	call := func() (context.Context, context.CancelFunc) {
		if timeout <= 0 {
			return context.WithCancel(ctx)
		}
		return context.WithTimeout(ctx, timeout)
	}
	if !explicit {
		cctx, cancel := call()
		defer cancel()
		if bulk, ok := reg.(AllServicesSource); ok {
			all, empty, err := bulk.AllServices(cctx)
			if err != nil {
				return nil, err
			}
			for _, in := range all {
				out[in.Service] = append(out[in.Service], in)
			}
			for _, name := range empty {
				if _, ok := out[name]; !ok {
					out[name] = nil
				}
			}
			return out, nil
		}
		if bulk, ok := reg.(AllInstancesSource); ok {
			all, err := bulk.AllInstances(cctx)
			if err != nil {
				return nil, err
			}
			for _, in := range all {
				out[in.Service] = append(out[in.Service], in)
			}
			return out, nil
		}
		svcs, err := reg.Services(cctx, Query{})
		if err != nil {
			return nil, err
		}
		for _, s := range svcs {
			services = append(services, s.Name)
		}
	}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
	)
	sem := make(chan struct{}, concurrency)
	for _, name := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			cctx, cancel := call()
			ins, err := reg.Instances(cctx, name)
			cancel()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrServiceNotFound) && !explicit:
				out[name] = nil
			case err != nil:
				if firstErr == nil {
					firstErr = err
				}
			default:
				out[name] = ins
			}
		}()
	}
	wg.Wait()
	return out, firstErr
}
