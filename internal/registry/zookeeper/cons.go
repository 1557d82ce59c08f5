package zookeeper

import (
	"context"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/msctl/msctl/internal/registry"
)

// session is one client session as the `cons` four-letter word lists it.
type session struct {
	client  string
	timeout time.Duration
	// lresp is the server's monotonic clock (milliseconds since some
	// point, not an epoch) at its last response to the session.
	lresp        int64
	lastResponse time.Time
}

// sessions asks every server for its connections. It returns nil when no
// server answers `cons` (it is off by default since ZooKeeper 3.5: set
// 4lw.commands.whitelist), so that callers can tell "unknown" from "not
// connected".
//
// A session's last response is on the server's monotonic clock, so it is
// turned into wall time against msctl's own session on the same server,
// which has just had a response: a session on a server msctl is not
// connected to gets no last response.
func (r *Registry) sessions(ctx context.Context) map[int64]session {
	var out map[int64]session
	var self int64
	if r.conn != nil {
		self = r.conn.SessionID()
	}
	now := r.now()
	for _, s := range r.servers {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		text, err := fourLetterWord(c, s, "cons")
		cancel()
		if err != nil || !strings.Contains(text, "sid=") {
			continue
		}
		if out == nil {
			out = map[int64]session{}
		}
		list := parseCons(text)
		ref, onThisServer := list[self]
		for k, v := range list {
			if onThisServer && ref.lresp > 0 && v.lresp > 0 {
				v.lastResponse = now.Add(-time.Duration(ref.lresp-v.lresp) * time.Millisecond)
			}
			out[k] = v
		}
	}
	return out
}

// consLine matches one connection of `cons`:
//
//	/127.0.0.1:58276[1](queued=0,recved=2,sent=2,sid=0x10000104e300000,lop=CREA,est=1764277292000,to=10000,lcxid=0x1,lzxid=0x2,lresp=1764277292123,llat=7,minlat=0,avglat=7,maxlat=7)
var consLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*/(\S+?)\[\d+\]\((.*)\)\s*$`) })

func parseCons(text string) map[int64]session {
	out := map[int64]session{}
	for _, line := range strings.Split(text, "\n") {
		m := consLine().FindStringSubmatch(line)
		if m == nil {
			continue
		}
		fields := map[string]string{}
		for _, kv := range strings.Split(m[2], ",") {
			k, v, _ := strings.Cut(kv, "=")
			fields[k] = v
		}
		sid, err := strconv.ParseInt(strings.TrimPrefix(fields["sid"], "0x"), 16, 64)
		if err != nil {
			continue // the cons connection itself has no session
		}
		s := session{client: m[1]}
		if to, err := strconv.Atoi(fields["to"]); err == nil {
			s.timeout = time.Duration(to) * time.Millisecond
		}
		if ms, err := strconv.ParseInt(fields["lresp"], 10, 64); err == nil {
			s.lresp = ms
		}
		out[sid] = s
	}
	return out
}

func fourLetterWord(ctx context.Context, addr, cmd string) (string, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if _, err := io.WriteString(c, cmd); err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(c, 8<<20))
	return string(b), err
}

// Leader implements registry.LeaderSource through the `srvr` four-letter
// word (allowed by default): the server that says it is the leader (or
// standalone). A follower only serves with a leader, so when every server
// answering is a follower the ensemble has one outside the configured
// list; when none serves at all, there is no leader.
func (r *Registry) Leader(ctx context.Context) (string, error) {
	ctx, cancel := registry.WithDefaultTimeout(ctx)
	defer cancel()
	var lastErr error
	answered, follower := false, false
	for _, s := range r.servers {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		text, err := fourLetterWord(c, s, "srvr")
		cancel()
		if err != nil {
			lastErr = err
			continue
		}
		answered = true
		switch {
		case strings.Contains(text, "Mode: leader"), strings.Contains(text, "Mode: standalone"):
			return s, nil
		case strings.Contains(text, "Mode: follower"), strings.Contains(text, "Mode: observer"):
			follower = true
		}
	}
	switch {
	case follower:
		return "(a server outside " + strings.Join(r.servers, ",") + ")", nil
	case answered:
		return "", nil
	}
	return "", r.unreachable(lastErr)
}
