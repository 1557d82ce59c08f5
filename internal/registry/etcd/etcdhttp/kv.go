package etcdhttp

import (
	"context"
)

// The request and answer types follow etcd's rpc.proto, with the JSON
// names the gateway uses. ",string" reads and writes 64-bit integers as
// protobuf's JSON mapping does; []byte is base64, as it is there. Fields
// left at zero are left out of the gateway's answers and decode as zero.

// Header is the response header every answer carries.
type Header struct {
	ClusterID uint64 `json:"cluster_id,string"`
	MemberID  uint64 `json:"member_id,string"`
	// Revision is the key-value store's revision when the answer was made.
	Revision int64  `json:"revision,string"`
	RaftTerm uint64 `json:"raft_term,string"`
}

// KeyValue is one key as stored.
type KeyValue struct {
	Key            []byte `json:"key"`
	Value          []byte `json:"value"`
	CreateRevision int64  `json:"create_revision,string"`
	ModRevision    int64  `json:"mod_revision,string"`
	Version        int64  `json:"version,string"`
	// Lease is the ID of the lease the key is attached to; 0 for none.
	Lease int64 `json:"lease,string"`
}

// SortOrder and SortTarget are RangeRequest's sort enums, by name.
type (
	SortOrder  string
	SortTarget string
)

// Sort orders and targets.
const (
	SortNone    SortOrder  = "NONE"
	SortAscend  SortOrder  = "ASCEND"
	SortDescend SortOrder  = "DESCEND"
	SortByKey   SortTarget = "KEY"
	SortByMod   SortTarget = "MOD"
)

// RangeRequest reads Key, or the keys in [Key, RangeEnd).
type RangeRequest struct {
	Key []byte `json:"key,omitempty"`
	// RangeEnd is the end of the range, exclusive: PrefixEnd(Key) reads
	// every key with the prefix Key; "\x00" reads every key >= Key.
	RangeEnd []byte `json:"range_end,omitempty"`
	// Limit caps the number of keys; Range answers More when more are
	// left.
	Limit int64 `json:"limit,string,omitempty"`
	// Revision reads the store as it was then; 0 reads the newest.
	Revision   int64      `json:"revision,string,omitempty"`
	SortOrder  SortOrder  `json:"sort_order,omitempty"`
	SortTarget SortTarget `json:"sort_target,omitempty"`
	// Serializable is answered by the member called from its local copy,
	// without a round of consensus: faster, possibly stale.
	Serializable bool `json:"serializable,omitempty"`
	KeysOnly     bool `json:"keys_only,omitempty"`
	CountOnly    bool `json:"count_only,omitempty"`
}

// RangeResponse answers a RangeRequest.
type RangeResponse struct {
	Header Header     `json:"header"`
	Kvs    []KeyValue `json:"kvs"`
	// More says the range holds keys beyond Limit.
	More  bool  `json:"more"`
	Count int64 `json:"count,string"`
}

// Range reads keys (/v3/kv/range).
func (c *Client) Range(ctx context.Context, req RangeRequest) (*RangeResponse, error) {
	var resp RangeResponse
	if err := c.call(ctx, "/v3/kv/range", req, &resp, callOpts{idempotent: true}); err != nil {
		return nil, err
	}
	return &resp, nil
}

// PutResponse answers a put.
type PutResponse struct {
	Header Header `json:"header"`
}

// Put writes key, attached to lease unless it is 0 (/v3/kv/put).
func (c *Client) Put(ctx context.Context, key, value []byte, lease int64) (*PutResponse, error) {
	req := struct {
		Key   []byte `json:"key,omitempty"`
		Value []byte `json:"value"`
		Lease int64  `json:"lease,string,omitempty"`
	}{key, value, lease}
	var resp PutResponse
	if err := c.call(ctx, "/v3/kv/put", req, &resp, callOpts{}); err != nil {
		return nil, err
	}
	return &resp, nil
}

// DeleteRangeResponse answers a delete.
type DeleteRangeResponse struct {
	Header  Header `json:"header"`
	Deleted int64  `json:"deleted,string"`
}

// DeleteRange deletes key, or the keys in [key, rangeEnd) when rangeEnd is
// set (/v3/kv/deleterange).
func (c *Client) DeleteRange(ctx context.Context, key, rangeEnd []byte) (*DeleteRangeResponse, error) {
	req := struct {
		Key      []byte `json:"key"`
		RangeEnd []byte `json:"range_end,omitempty"`
	}{key, rangeEnd}
	var resp DeleteRangeResponse
	if err := c.call(ctx, "/v3/kv/deleterange", req, &resp, callOpts{}); err != nil {
		return nil, err
	}
	return &resp, nil
}

// PrefixEnd is the RangeEnd that makes a range of every key starting with
// prefix: prefix with its last byte below 0xff incremented and what
// follows dropped; "\x00" (every key) when there is no such byte.
func PrefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return []byte{0}
}

// LeaseGrantResponse answers a lease grant.
type LeaseGrantResponse struct {
	Header Header `json:"header"`
	ID     int64  `json:"ID,string"`
	// TTL is the TTL granted, in seconds (etcd may raise a short one).
	TTL int64 `json:"TTL,string"`
}

// Grant makes a lease of ttl seconds (/v3/lease/grant).
func (c *Client) Grant(ctx context.Context, ttl int64) (*LeaseGrantResponse, error) {
	req := struct {
		TTL int64 `json:"TTL,string"`
	}{ttl}
	var resp LeaseGrantResponse
	if err := c.call(ctx, "/v3/lease/grant", req, &resp, callOpts{}); err != nil {
		return nil, err
	}
	return &resp, nil
}

// LeaseTimeToLiveResponse tells how long a lease has left.
type LeaseTimeToLiveResponse struct {
	Header Header `json:"header"`
	ID     int64  `json:"ID,string"`
	// TTL is the seconds left; -1 when the lease has expired or never
	// existed.
	TTL        int64 `json:"TTL,string"`
	GrantedTTL int64 `json:"grantedTTL,string"`
}

// TimeToLive asks how long lease id has left (/v3/lease/timetolive). An
// unknown lease answers TTL -1 (etcd 3.4) or the error "requested lease
// not found" (code NotFound), depending on the version.
func (c *Client) TimeToLive(ctx context.Context, id int64) (*LeaseTimeToLiveResponse, error) {
	req := struct {
		ID int64 `json:"ID,string"`
	}{id}
	var resp LeaseTimeToLiveResponse
	if err := c.call(ctx, "/v3/lease/timetolive", req, &resp, callOpts{idempotent: true}); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Revoke ends lease id and deletes its keys (/v3/lease/revoke).
func (c *Client) Revoke(ctx context.Context, id int64) error {
	req := struct {
		ID int64 `json:"ID,string"`
	}{id}
	var resp struct{}
	return c.call(ctx, "/v3/lease/revoke", req, &resp, callOpts{})
}

// Leases lists the IDs of the live leases (/v3/lease/leases).
func (c *Client) Leases(ctx context.Context) ([]int64, error) {
	var resp struct {
		Leases []struct {
			ID int64 `json:"ID,string"`
		} `json:"leases"`
	}
	if err := c.call(ctx, "/v3/lease/leases", struct{}{}, &resp, callOpts{idempotent: true}); err != nil {
		return nil, err
	}
	ids := make([]int64, len(resp.Leases))
	for i, l := range resp.Leases {
		ids[i] = l.ID
	}
	return ids, nil
}

// StatusResponse is one member's status.
type StatusResponse struct {
	Header  Header `json:"header"`
	Version string `json:"version"`
	// Leader is the member ID of the leader as this member knows it; 0
	// when it knows none.
	Leader    uint64 `json:"leader,string"`
	RaftIndex uint64 `json:"raftIndex,string"`
	RaftTerm  uint64 `json:"raftTerm,string"`
	DBSize    int64  `json:"dbSize,string"`
}

// Status asks the member at endpoint (one of the client's endpoints or
// another client URL) for its status (/v3/maintenance/status).
func (c *Client) Status(ctx context.Context, endpoint string) (*StatusResponse, error) {
	var resp StatusResponse
	if err := c.call(ctx, "/v3/maintenance/status", struct{}{}, &resp, callOpts{idempotent: true, endpoint: endpoint}); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Member is one member of the cluster.
type Member struct {
	ID         uint64   `json:"ID,string"`
	Name       string   `json:"name"`
	PeerURLs   []string `json:"peerURLs"`
	ClientURLs []string `json:"clientURLs"`
	IsLearner  bool     `json:"isLearner"`
}

// MemberList lists the cluster's members (/v3/cluster/member/list).
func (c *Client) MemberList(ctx context.Context) ([]Member, error) {
	var resp struct {
		Members []Member `json:"members"`
	}
	if err := c.call(ctx, "/v3/cluster/member/list", struct{}{}, &resp, callOpts{idempotent: true}); err != nil {
		return nil, err
	}
	return resp.Members, nil
}
