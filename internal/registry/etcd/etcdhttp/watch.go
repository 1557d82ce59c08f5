package etcdhttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// EventType is what happened to a key.
type EventType string

// Event types. The gateway leaves PUT, the zero value, out.
const (
	EventPut    EventType = "PUT"
	EventDelete EventType = "DELETE"
)

// UnmarshalJSON accepts the enum by name or by number.
func (t *EventType) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"PUT"`, "0", "null":
		*t = EventPut
	case `"DELETE"`, "1":
		*t = EventDelete
	default:
		return fmt.Errorf("unknown watch event type %s", b)
	}
	return nil
}

// Event is one change of a key.
type Event struct {
	Type EventType `json:"type"`
	// Kv is the key after a put; after a delete, the key and the
	// revision of the delete.
	Kv KeyValue `json:"kv"`
	// PrevKv is the key before the change, with WatchRequest.PrevKV.
	PrevKv *KeyValue `json:"prev_kv"`
}

// WatchRequest asks for the changes of Key, or of the keys in
// [Key, RangeEnd).
type WatchRequest struct {
	Key      []byte
	RangeEnd []byte
	// StartRevision is the first revision reported; 0 means the changes
	// after the current one.
	StartRevision int64
	PrevKV        bool
	// RequireLeader ends the watch with an Unavailable error when the
	// member loses its leader, rather than leaving it silent (clientv3's
	// WithRequireLeader).
	RequireLeader bool
}

// WatchResponse is one message of a watch stream.
type WatchResponse struct {
	Header  Header  `json:"header"`
	WatchID int64   `json:"watch_id,string"`
	Created bool    `json:"created"`
	Events  []Event `json:"events"`
	// Canceled ends the stream; CompactRevision or CancelReason say why.
	Canceled        bool   `json:"canceled"`
	CompactRevision int64  `json:"compact_revision,string"`
	CancelReason    string `json:"cancel_reason"`
}

// ErrWatchBroken is the error of Next when the stream broke off without
// etcd ending the watch (the member stopped, the connection dropped): the
// watch can be opened again from the revision after the last one seen.
var ErrWatchBroken = errors.New("/v3/watch: stream broken")

var errMessageTooLarge = errors.New("watch message too large")

// Watcher is an open watch. Next returns its messages until the watch ends
// or Close is called.
type Watcher struct {
	body   io.ReadCloser
	dec    *json.Decoder
	budget *budgetReader
	max    int64
	ctx    context.Context
	cancel context.CancelFunc
	// Header is the header of the answer that created the watch.
	Header Header
}

// Watch opens a watch (/v3/watch) and returns once etcd has created it,
// so that changes made after Watch returns are reported. The watch ends
// when ctx does.
func (c *Client) Watch(ctx context.Context, req WatchRequest) (*Watcher, error) {
	create := map[string]any{"create_request": struct {
		Key           []byte `json:"key"`
		RangeEnd      []byte `json:"range_end,omitempty"`
		StartRevision int64  `json:"start_revision,string,omitempty"`
		PrevKV        bool   `json:"prev_kv,omitempty"`
	}{req.Key, req.RangeEnd, req.StartRevision, req.PrevKV}}
	body, err := json.Marshal(create)
	if err != nil {
		return nil, err
	}
	o := callOpts{idempotent: true}
	if req.RequireLeader {
		// grpc-gateway passes Grpc-Metadata-* headers on as gRPC
		// metadata; etcd ends watches of a leaderless member for
		// callers that set hasleader=true.
		o.header = http.Header{"Grpc-Metadata-Hasleader": {"true"}}
	}
	var w *Watcher
	err = c.withAuth(ctx, func(token string) error {
		wctx, cancel := context.WithCancel(ctx)
		r, err := c.post(wctx, "/v3/watch", body, token, o)
		if err != nil {
			cancel()
			return err
		}
		w = c.newWatcher(wctx, r.Body, cancel)
		first, err := w.Next()
		if err == nil && !first.Created {
			err = errors.New("/v3/watch: the first message did not create the watch")
		}
		if err != nil {
			w.Close()
			return err
		}
		w.Header = first.Header
		return nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

func (c *Client) newWatcher(ctx context.Context, body io.ReadCloser, cancel context.CancelFunc) *Watcher {
	b := &budgetReader{r: body}
	return &Watcher{body: body, dec: json.NewDecoder(b), budget: b, max: c.maxBody, ctx: ctx, cancel: cancel}
}

// Next returns the next message. A canceled watch is an error: a
// *CompactedError when its start revision is gone, an *Error otherwise
// (permission denied, no leader). When the watch's context ends, the error
// is the context's.
func (w *Watcher) Next() (*WatchResponse, error) {
	// Each message may be up to max bytes; the decoder's read-ahead
	// counts against the message it reads for.
	w.budget.left = w.max
	var msg struct {
		Result *WatchResponse  `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := w.dec.Decode(&msg); err != nil {
		if cerr := w.ctx.Err(); cerr != nil {
			return nil, cerr
		}
		if errors.Is(err, errMessageTooLarge) {
			return nil, fmt.Errorf("/v3/watch: %w", err)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: the stream ended", ErrWatchBroken)
		}
		return nil, fmt.Errorf("%w: %w", ErrWatchBroken, err)
	}
	if len(msg.Error) > 0 {
		wrapped, _ := json.Marshal(map[string]json.RawMessage{"error": msg.Error})
		if e := parseError(wrapped); e != nil {
			return nil, e
		}
		return nil, fmt.Errorf("/v3/watch: %s", msg.Error)
	}
	if msg.Result == nil {
		return nil, errors.New("/v3/watch: a message without a result")
	}
	r := msg.Result
	for i := range r.Events {
		if r.Events[i].Type == "" {
			r.Events[i].Type = EventPut // left out as the enum's zero value
		}
	}
	if r.Canceled {
		if r.CompactRevision != 0 {
			return nil, &CompactedError{CompactRevision: r.CompactRevision}
		}
		if r.CancelReason != "" {
			return nil, cancelReasonError(r.CancelReason)
		}
		return nil, errors.New("/v3/watch: canceled by the server")
	}
	return r, nil
}

// Close ends the watch.
func (w *Watcher) Close() error {
	w.cancel()
	return w.body.Close()
}

// budgetReader fails a read once left bytes have been read, so that one
// endless or huge stream message cannot fill memory.
type budgetReader struct {
	r    io.Reader
	left int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errMessageTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}
