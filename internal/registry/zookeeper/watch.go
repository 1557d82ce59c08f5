package zookeeper

import (
	"context"
	"errors"
	"path"

	"github.com/go-zookeeper/zk"

	"github.com/msctl/msctl/internal/registry"
)

// WatchInstances implements registry.Watcher with ZooKeeper watches: one
// on the service znode's children (instances added or removed) and one on
// each instance's data (a status change). The index is the largest zxid
// seen (the service's pzxid, the instances' mzxid), so a change made
// between two calls is noticed at once rather than missed by the one-shot
// watches.
func (r *Registry) WatchInstances(ctx context.Context, service string, index uint64) ([]registry.Instance, uint64, error) {
	conn, err := r.connect(ctx)
	if err != nil {
		return nil, 0, err
	}
	dir := path.Join(r.base, service)
	for {
		zxid, events, err := r.arm(conn, dir)
		if err != nil {
			return nil, 0, err
		}
		if index == 0 || zxid > index {
			rctx, cancel := registry.WithDefaultTimeout(ctx)
			ins, err := r.read(rctx, conn, service, r.sessions(rctx))
			cancel()
			return ins, zxid, err
		}
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-events:
		}
	}
}

// arm sets the watches and returns the largest zxid they saw and a channel
// that fires on the first event.
func (r *Registry) arm(conn *zk.Conn, dir string) (uint64, <-chan zk.Event, error) {
	fired := make(chan zk.Event, 1)
	forward := func(ch <-chan zk.Event) {
		go func() {
			ev := <-ch
			select {
			case fired <- ev:
			default:
			}
		}()
	}
	ids, stat, ch, err := conn.ChildrenW(dir)
	if errors.Is(err, zk.ErrNoNode) {
		// Not there (yet): watch for its creation.
		ok, st, ech, err := conn.ExistsW(dir)
		if err != nil {
			return 0, nil, r.unreachable(err)
		}
		forward(ech)
		if ok {
			return uint64(st.Pzxid), fired, nil
		}
		return 0, fired, nil
	}
	if err != nil {
		return 0, nil, r.unreachable(err)
	}
	forward(ch)
	zxid := uint64(stat.Pzxid)
	for _, id := range ids {
		_, st, dch, err := conn.GetW(path.Join(dir, id))
		if errors.Is(err, zk.ErrNoNode) {
			continue
		}
		if err != nil {
			return 0, nil, r.unreachable(err)
		}
		forward(dch)
		zxid = max(zxid, uint64(st.Mzxid))
	}
	return zxid, fired, nil
}

var _ registry.Watcher = (*Registry)(nil)
