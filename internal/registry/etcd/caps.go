package etcd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/msctl/msctl/internal/registry"
	"github.com/msctl/msctl/internal/registry/etcd/etcdhttp"
)

// Leader implements registry.LeaderSource: the client URL of the member
// the cluster reports as leader, or "" when the members answering know
// none.
func (r *Registry) Leader(ctx context.Context) (string, error) {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	cl, err := r.connect()
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
		for _, m := range ms {
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
// call returns when a key under the service changes after it. The watch
// requires a leader, so that a member cut off from its cluster ends it
// rather than leaving it silent.
func (r *Registry) WatchInstances(ctx context.Context, service string, index uint64) ([]registry.Instance, uint64, error) {
	prefix := r.prefix + service + "/"
	if index > 0 {
		if err := r.waitChange(ctx, prefix, int64(index)+1); err != nil {
			return nil, 0, err
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

// waitChange returns when a key under prefix changes at revision from or
// later, or when the changes since from are lost to a compaction (the
// caller reads afresh either way). A stream that breaks off (the member
// restarted, the connection dropped) is opened again, on the next endpoint
// if need be, as clientv3's watch did; one that cannot be opened is an
// error.
func (r *Registry) waitChange(ctx context.Context, prefix string, from int64) error {
	cl, err := r.connect()
	if err != nil {
		return err
	}
	req := etcdhttp.WatchRequest{
		Key: []byte(prefix), RangeEnd: etcdhttp.PrefixEnd([]byte(prefix)),
		StartRevision: from, RequireLeader: true,
	}
	for {
		err = watchOnce(ctx, cl, req)
		if err == nil || ctx.Err() != nil || !errors.Is(err, etcdhttp.ErrWatchBroken) {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
	var compacted *etcdhttp.CompactedError
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err == nil, errors.As(err, &compacted):
		return nil
	}
	return r.wrap(err)
}

// watchOnce opens a watch and returns when it reports an event, or with
// the error that ended it.
func watchOnce(ctx context.Context, cl *etcdhttp.Client, req etcdhttp.WatchRequest) error {
	w, err := cl.Watch(ctx, req)
	if err != nil {
		return err
	}
	defer w.Close()
	for {
		wr, err := w.Next()
		if err != nil {
			return err
		}
		if len(wr.Events) > 0 {
			return nil
		}
	}
}

var (
	_ registry.LeaderSource       = (*Registry)(nil)
	_ registry.Watcher            = (*Registry)(nil)
	_ registry.ConsistencySource  = (*Registry)(nil)
	_ registry.AllInstancesSource = (*Registry)(nil)
)
