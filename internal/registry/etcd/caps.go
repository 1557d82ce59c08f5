package etcd

import (
	"context"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/msctl/msctl/internal/registry"
)

// Leader implements registry.LeaderSource: the client URL of the member
// the cluster reports as leader, or "" when the members answering know
// none.
func (r *Registry) Leader(ctx context.Context) (string, error) {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	cl, err := r.connect(ctx)
	if err != nil {
		return "", err
	}
	var lastErr error
	for _, ep := range r.endpoints {
		st, err := cl.Status(ctx, ep)
		if err != nil {
			lastErr = err
			continue
		}
		if st.Leader == 0 {
			return "", nil
		}
		ms, err := cl.MemberList(ctx)
		if err != nil {
			return "", r.wrap(err)
		}
		for _, m := range ms.Members {
			if m.ID == st.Leader {
				if len(m.ClientURLs) > 0 {
					return strings.Join(m.ClientURLs, ","), nil
				}
				return m.Name, nil
			}
		}
		return fmt.Sprintf("member %x", st.Leader), nil
	}
	return "", r.wrap(lastErr)
}

// WatchInstances implements registry.Watcher with an etcd watch on the
// service's keys: index is the store revision the caller has seen; the
// call returns when a key under the service changes after it.
func (r *Registry) WatchInstances(ctx context.Context, service string, index uint64) ([]registry.Instance, uint64, error) {
	prefix := r.prefix + service + "/"
	if index > 0 {
		cl, err := r.connect(ctx)
		if err != nil {
			return nil, 0, err
		}
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		ch := cl.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(int64(index)+1))
		select {
		case <-ctx.Done():
			cancel()
			return nil, 0, ctx.Err()
		case wr, ok := <-ch:
			cancel()
			if !ok {
				return nil, 0, r.unreachable(fmt.Errorf("watch closed"))
			}
			if err := wr.Err(); err != nil {
				return nil, 0, r.wrap(err)
			}
		}
	}
	rctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	kvs, rev, err := r.read(rctx, prefix, false)
	if err != nil {
		return nil, 0, err
	}
	ins, err := r.withLeases(rctx, kvs, service)
	if err != nil {
		return nil, 0, err
	}
	return ins, uint64(rev), nil
}

var (
	_ registry.LeaderSource       = (*Registry)(nil)
	_ registry.Watcher            = (*Registry)(nil)
	_ registry.ConsistencySource  = (*Registry)(nil)
	_ registry.AllInstancesSource = (*Registry)(nil)
)
