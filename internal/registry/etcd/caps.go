package etcd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/msctl/msctl/internal/registry"
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
	// Status is asked of one member at a time (clientv3 dials it alone),
	// so the endpoints are tried in turn until one answers.
	for _, ep := range r.endpoints {
		st, err := cl.Status(ctx, ep)
		if err != nil {
			lastErr = err
			if ctx.Err() != nil {
				break
			}
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
// call returns when a key under the service changes after it. The watch
// requires a leader, so that a member cut off from its cluster ends it
// rather than leaving it silent.
func (r *Registry) WatchInstances(ctx context.Context, service string, index uint64) ([]registry.Instance, uint64, error) {
	prefix := r.prefix + service + "/"
	if index > 0 {
		if _, err := r.waitChange(ctx, prefix, int64(index)+1); err != nil {
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
// later, or when the changes since from are lost to a compaction; then
// compacted is the oldest revision the cluster still keeps, and the
// caller reads afresh at the current revision either way.
//
// clientv3 keeps the watch going across a member that stops or a
// connection that drops, on another endpoint if need be, from the
// revision after the last one it delivered. Progress notifications move
// that revision on while nothing under prefix changes, so that a watch
// resumed after a long quiet spell does not start from a revision
// compacted away in the meantime. A stream the client gives up on
// without an etcd error is opened again here.
func (r *Registry) waitChange(ctx context.Context, prefix string, from int64) (compacted int64, err error) {
	cl, err := r.connect()
	if err != nil {
		return 0, err
	}
	for {
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		wch := cl.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(from), clientv3.WithProgressNotify())
		var werr error
		changed := false
		for wr := range wch {
			if werr = wr.Err(); werr != nil {
				if wr.CompactRevision != 0 {
					compacted = wr.CompactRevision
				}
				break
			}
			if len(wr.Events) > 0 {
				changed = true
				break
			}
			if wr.IsProgressNotify() && wr.Header.Revision >= from {
				from = wr.Header.Revision + 1
			}
		}
		cancel()
		switch {
		case ctx.Err() != nil:
			return 0, ctx.Err()
		case changed:
			return 0, nil
		case compacted != 0 || errors.Is(werr, rpctypes.ErrCompacted):
			return compacted, nil
		case werr != nil && !brokenStream(werr):
			return 0, r.wrap(werr)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// brokenStream says whether a watch ended because its stream broke off
// (the member went away, the connection dropped) rather than because etcd
// refused or canceled it: such a watch can be opened again.
func brokenStream(err error) bool {
	var ee rpctypes.EtcdError
	if errors.As(err, &ee) || authFailure(err) {
		return false
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.Internal, codes.Unknown:
		return true
	}
	return false
}

var (
	_ registry.LeaderSource       = (*Registry)(nil)
	_ registry.Watcher            = (*Registry)(nil)
	_ registry.ConsistencySource  = (*Registry)(nil)
	_ registry.AllInstancesSource = (*Registry)(nil)
)
