package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/msctl/msctl/internal/buildinfo"
)

// KafkaOptions configure a Kafka probe.
type KafkaOptions struct {
	// URL is kafka://HOST:PORT[,HOST:PORT...].
	URL     string
	Topic   string // default "msctl-probe"
	Payload []byte
	// TLS, when set, connects to every broker over TLS with these
	// settings (verification on unless Insecure).
	TLS  *TLSOptions
	SASL KafkaSASL
}

// KafkaSASL are the SASL credentials of a Kafka probe; a zero value means
// no SASL.
type KafkaSASL struct {
	Mechanism string // one of KafkaSASLMechanisms, or "" for none
	User      string
	Password  string
}

// KafkaSASLMechanisms are the SASL mechanisms the Kafka probe speaks.
var KafkaSASLMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}

// mechanism builds franz-go's SASL mechanism for s; nil without SASL.
func (s KafkaSASL) mechanism() (sasl.Mechanism, error) {
	if s.Mechanism == "" {
		if s.User != "" {
			return nil, errors.New("a SASL user needs a SASL mechanism (" + strings.Join(KafkaSASLMechanisms, ", ") + ")")
		}
		return nil, nil
	}
	if s.User == "" {
		return nil, fmt.Errorf("SASL %s needs a user", s.Mechanism)
	}
	switch strings.ToUpper(s.Mechanism) {
	case "PLAIN":
		return plain.Auth{User: s.User, Pass: s.Password}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: s.User, Pass: s.Password}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: s.User, Pass: s.Password}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("unknown SASL mechanism %q: want %s", s.Mechanism, strings.Join(KafkaSASLMechanisms, ", "))
}

// KafkaProber produces one record to every partition of the topic and
// fetches each back from the offset its leader acknowledged: the produce
// and fetch paths of every partition leader, without a consumer group.
//
// It drives franz-go's client (kgo), which handles versions, leader
// moves, retries, SASL and every compression codec; msctl only dials the
// connections (to time them and report the TLS session) and bounds every
// wait by the probe's context.
type KafkaProber struct {
	opts  KafkaOptions
	seeds []string
	tls   *tls.Config
	mech  sasl.Mechanism

	// cl is the client kept across probes (nil before the first or after
	// a failure); partitions are the topic's, loaded on the first probe.
	cl         *kgo.Client
	partitions []int32
	remote     string

	// conns are cl's connections, as the dialer sees them.
	conns *kafkaConns
}

// kafkaConns follows the connections of one client: those made since
// the last look, and per broker address how many were lost (closed after
// a read or write failed: the broker closed it, or a request timed out).
// Connections kgo closes of its own accord (a seed's once the cluster's
// brokers are known) are not lost.
type kafkaConns struct {
	sasl  bool // the client authenticates with SASL
	mu    sync.Mutex
	dials []kafkaDial
	lost  map[string]int
}

// take returns the connections made since the last call.
func (c *kafkaConns) take() []kafkaDial {
	c.mu.Lock()
	defer c.mu.Unlock()
	ds := c.dials
	c.dials = nil
	return ds
}

// kafkaDial is one connection kgo asked msctl to make.
type kafkaDial struct {
	target    string // host:port kgo asked for
	remote    string // the address connected to
	connect   time.Duration
	handshake time.Duration // TLS, when on
	tls       *tls.ConnectionState
	err       error
	// again is set when it replaced a closed connection to the broker.
	again bool
}

// NewKafka validates the options.
func NewKafka(o KafkaOptions) (*KafkaProber, error) {
	u, err := brokerTarget(o.URL, "kafka")
	if err != nil {
		return nil, err
	}
	if o.Topic == "" {
		o.Topic = "msctl-probe"
	}
	p := &KafkaProber{opts: o, seeds: strings.Split(u.Host, ",")}
	if p.mech, err = o.SASL.mechanism(); err != nil {
		return nil, err
	}
	if o.TLS != nil {
		if p.tls, err = o.TLS.Config(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Close closes the client and its connections.
func (p *KafkaProber) Close() error {
	p.reset()
	return nil
}

// reset drops the client, so that the next probe starts afresh from the
// seed brokers.
func (p *KafkaProber) reset() {
	if p.cl != nil {
		p.cl.Close()
	}
	p.cl, p.partitions, p.remote, p.conns = nil, nil, "", nil
}

// Probe produces one record to each partition and fetches them back.
func (p *KafkaProber) Probe(ctx context.Context) *Result {
	r := &Result{Protocol: "kafka", Target: RedactURL(p.opts.URL), StatusCode: -1}
	d := &BrokerDetails{Destination: p.opts.Topic, MessageID: newMessageID(), Mode: "pubsub"}
	r.Broker = d
	start := time.Now()
	defer func() { r.TotalMS = ms(time.Since(start)) }()
	if p.cl == nil {
		if !resolveHost(ctx, &url.URL{Host: p.seeds[0]}, r) {
			return r
		}
		if err := p.connect(ctx, r); err != nil {
			p.reset()
			phase, class := PhaseConnect, kafkaClass(err, PhaseConnect)
			if class == ClassTLS {
				phase = PhaseTLS
			}
			r.Fail(phase, class, err)
			return r
		}
	} else {
		r.Reused = true
		p.conns.take()
	}
	r.RemoteAddr = p.remote
	value := append([]byte("msctl-probe "+d.MessageID+" "), p.opts.Payload...)
	t0 := time.Now()
	var offsets map[int32]int64
	err := timed(r, PhasePublish, func() error {
		var err error
		offsets, err = p.produce(ctx, value)
		return err
	})
	if err != nil {
		p.noteReconnects(r)
		p.reset()
		r.Fail(PhasePublish, kafkaClass(err, PhasePublish), fmt.Errorf("producing to %s: %w", p.opts.Topic, err))
		return r
	}
	first := slices.Min(p.partitions)
	off := offsets[first]
	d.Partition, d.Offset = &first, &off
	for _, part := range p.partitions {
		d.Partitions = append(d.Partitions, PartitionOffset{Partition: part, Offset: offsets[part]})
	}
	// Fetch from exactly the acknowledged offsets, so the probe neither
	// races a consumer reset nor joins a group.
	err = p.fetch(ctx, offsets, value, d)
	r.addPhase(PhaseRoundtrip, time.Since(t0))
	p.noteReconnects(r)
	if err != nil {
		p.reset()
		var nf notFetched
		if errors.As(err, &nf) || ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
			r.Fail(PhaseRoundtrip, ClassTimeout, err)
		} else {
			r.Fail(PhaseRoundtrip, kafkaClass(err, PhaseRoundtrip), err)
		}
		return r
	}
	r.Body = value
	r.OK, r.Status = true, "received"
	return r
}

// connect builds the client and waits for the first seed broker that
// answers (ApiVersions, SASL and a metadata request), recording connect
// and, over TLS, tls from the connection that did.
func (p *KafkaProber) connect(ctx context.Context, r *Result) error {
	// kgo retries requests and waits for brokers without end by default:
	// bound every request, retry and delivery by the probe's time limit,
	// so that a dead broker fails the probe within --timeout.
	p.conns = &kafkaConns{lost: map[string]int{}, sasl: p.mech != nil}
	budget := 10 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		budget = max(time.Until(dl), time.Millisecond)
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(p.seeds...),
		kgo.ClientID("msctl-probe"),
		kgo.SoftwareNameAndVersion("msctl", softwareVersion(buildinfo.Get().Version)),
		kgo.Dialer(p.conns.dialer(budget, p.tls)),
		kgo.RequestTimeoutOverhead(min(max(budget, 100*time.Millisecond), 15*time.Minute)),
		kgo.RetryTimeout(budget),
		// Leader moves are found by refreshing metadata; a probe should
		// not wait kgo's default 5 s between refreshes.
		kgo.MetadataMinAge(200 * time.Millisecond),
		kgo.AllowAutoTopicCreation(),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0),
		kgo.ProduceRequestTimeout(min(max(budget, 100*time.Millisecond), 15*time.Minute)),
		// kgo allows no less than a second here; a shorter --timeout
		// still ends the wait through the context.
		kgo.RecordDeliveryTimeout(min(max(budget, time.Second), 15*time.Minute)),
		// Idempotent, and still abandoned when the probe's time is up.
		kgo.AllowIdempotentProduceCancellation(),
		kgo.FetchMaxWait(200 * time.Millisecond),
		// Closing a client with fetch sessions waits up to a second to
		// end them, on a dead broker too; a probe fetches a partition
		// once, where sessions save nothing.
		kgo.DisableFetchSessions(),
		// A probe has no business pushing client telemetry (KIP-714).
		kgo.DisableClientMetrics(),
	}
	if p.mech != nil {
		opts = append(opts, kgo.SASL(p.mech))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	p.cl = cl
	t := time.Now()
	err = cl.Ping(ctx)
	took := time.Since(t)
	dials := p.conns.take()
	if err != nil {
		var errs []error
		for _, d := range dials {
			if d.err == nil {
				return p.wrapErr(err)
			}
			errs = append(errs, d.err)
		}
		if len(errs) > 1 {
			return seedErrors(errs)
		}
		return p.wrapErr(err)
	}
	var seed *kafkaDial
	for i := range dials {
		if dials[i].err == nil {
			seed = &dials[i]
		}
	}
	if seed == nil {
		// Ping answered without a dial of ours (not expected from a
		// new client): the whole wait is still the connect phase.
		r.addPhase(PhaseConnect, took)
		return nil
	}
	p.remote = seed.remote
	r.addPhase(PhaseConnect, took-seed.handshake)
	if seed.tls != nil {
		r.addPhase(PhaseTLS, seed.handshake)
		r.TLS = NewTLSDetails(*seed.tls, !p.opts.TLS.Insecure, time.Now())
	}
	return nil
}

// wrapErr adds a hint to errors whose cause a person may not guess.
func (p *KafkaProber) wrapErr(err error) error {
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed), errors.Is(err, errSASLRefused):
		return fmt.Errorf("%w (check --sasl-user and the password)", err)
	case errors.Is(err, kerr.UnsupportedSaslMechanism), errors.Is(err, kerr.IllegalSaslState):
		return fmt.Errorf("%w (does the listener take SASL %s?)", err, p.opts.SASL.Mechanism)
	case strings.Contains(err.Error(), "broker is too old"):
		// kgo's error for a request the broker does not know (here
		// InitProducerID, which the idempotent producer needs) is not
		// exported; its text is what is left to recognise it by.
		return fmt.Errorf("%w: the probe needs Kafka 0.11 or later", err)
	case errors.Is(err, kerr.ClusterAuthorizationFailed):
		return fmt.Errorf("%w (the idempotent producer needs IDEMPOTENT_WRITE on the cluster before Kafka 3.0)", err)
	}
	return err
}

// noteReconnects marks a probe that ran on kept connections as not reused
// when kgo had to connect again to a broker it had been connected to (the
// broker closed a kept connection, as Kafka does with idle ones after 10
// minutes): the connect (and tls) phases are then those connections', made
// while publishing or fetching.
func (p *KafkaProber) noteReconnects(r *Result) {
	if p.conns == nil {
		return
	}
	var connect, handshake time.Duration
	again := false
	for _, d := range p.conns.take() {
		if d.again {
			again = true
			connect += d.connect
			handshake += d.handshake
		}
	}
	if !r.Reused || !again {
		return
	}
	r.Reused = false
	phases := []Phase{{Name: PhaseConnect, DurationMS: ms(connect)}}
	if p.tls != nil {
		phases = append(phases, Phase{Name: PhaseTLS, DurationMS: ms(handshake)})
	}
	r.Phases = append(phases, r.Phases...)
}

// dialer is kgo's dial function: TCP, then TLS when on, each timed, and a
// connection that recognises replies from something other than Kafka.
func (cs *kafkaConns) dialer(timeout time.Duration, tlsCfg *tls.Config) func(ctx context.Context, network, host string) (net.Conn, error) {
	nd := &net.Dialer{Timeout: timeout}
	return func(ctx context.Context, network, host string) (net.Conn, error) {
		d := kafkaDial{target: host}
		defer func() {
			cs.mu.Lock()
			if d.err == nil && cs.lost[host] > 0 {
				cs.lost[host]--
				d.again = true
			}
			cs.dials = append(cs.dials, d)
			cs.mu.Unlock()
		}()
		t := time.Now()
		c, err := nd.DialContext(ctx, network, host)
		d.connect = time.Since(t)
		if err != nil {
			d.err = err
			return nil, err
		}
		d.remote = c.RemoteAddr().String()
		if tlsCfg != nil {
			cfg := tlsCfg.Clone()
			if cfg.ServerName == "" {
				cfg.ServerName, _, _ = net.SplitHostPort(host)
			}
			tc := tls.Client(c, cfg)
			t = time.Now()
			err = tc.HandshakeContext(ctx)
			d.handshake = time.Since(t)
			if err != nil {
				c.Close()
				d.err = fmt.Errorf("TLS handshake with %s: %w", host, err)
				return nil, d.err
			}
			cs := tc.ConnectionState()
			d.tls = &cs
			c = tc
		}
		return &kafkaConn{Conn: c, addr: host, tls: tlsCfg != nil, sasl: cs.sasl, conns: cs}, nil
	}
}

// errSASLRefused marks a broker that ended the connection in the middle
// of SASL authentication, as it does with refused credentials.
var errSASLRefused = errors.New("SASL authentication failed")

// errKafkaProtocol marks replies that do not follow the Kafka protocol.
var errKafkaProtocol = errors.New("kafka protocol error")

// kafkaConn is a broker connection that looks at the first bytes the peer
// sends: an HTTP server or a TLS listener answers a Kafka request with
// something a person should be told about in those words.
type kafkaConn struct {
	net.Conn
	addr    string
	tls     bool
	sniffed bool
	sasl    bool
	conns   *kafkaConns
	failed  atomic.Bool
	// lastKey is the API key of the last request written.
	lastKey atomic.Int32
	closed  sync.Once
}

// Close counts a connection that failed as lost to its broker, so that
// the next one to it is known as a reconnection.
func (c *kafkaConn) Close() error {
	c.closed.Do(func() {
		if c.failed.Load() {
			c.conns.mu.Lock()
			c.conns.lost[c.addr]++
			c.conns.mu.Unlock()
		}
	})
	return c.Conn.Close()
}

func (c *kafkaConn) Write(b []byte) (int, error) {
	if len(b) >= 6 {
		// A request is its size, then its API key (kgo writes each in
		// one piece).
		c.lastKey.Store(int32(int16(binary.BigEndian.Uint16(b[4:6]))))
	}
	n, err := c.Conn.Write(b)
	if err != nil {
		c.failed.Store(true)
	}
	return n, err
}

func (c *kafkaConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	// kgo ends a read it no longer wants (a fetch for partitions the
	// probe stopped consuming) with a deadline and closes the
	// connection: that is no loss.
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		c.failed.Store(true)
		if k := int16(c.lastKey.Load()); c.sasl && (k == kmsg.SASLHandshake.Int16() || k == kmsg.SASLAuthenticate.Int16()) &&
			(errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)) {
			// Brokers answer refused credentials with
			// SASL_AUTHENTICATION_FAILED, but some (raw SASL before
			// Kafka 1.0, kfake) just close the connection.
			return n, fmt.Errorf("%w: %s closed the connection during SASL authentication (%w)", errSASLRefused, c.addr, err)
		}
	}
	if c.sniffed || n == 0 {
		return n, err
	}
	c.sniffed = true
	switch {
	case n >= 4 && string(b[:4]) == "HTTP":
		return 0, fmt.Errorf("%w: %s answered with HTTP; is this a Kafka listener?", errKafkaProtocol, c.addr)
	case !c.tls && n >= 2 && b[0] == 21 && b[1] == 3:
		return 0, fmt.Errorf("%w: %s answered with a TLS alert; the listener expects TLS (--tls)", errKafkaProtocol, c.addr)
	}
	return n, err
}

// seedErrors are the errors of several seed brokers, on one line (a
// result's error is one line of a table) and each still classified.
type seedErrors []error

func (e seedErrors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e seedErrors) Unwrap() []error { return e }

// produce writes one record to every partition of the topic (loading
// them first when not known yet) with acks=all and returns their offsets.
func (p *KafkaProber) produce(ctx context.Context, value []byte) (map[int32]int64, error) {
	if p.partitions == nil {
		if err := p.loadPartitions(ctx); err != nil {
			return nil, err
		}
	}
	type produced struct {
		partition int32
		offset    int64
		err       error
	}
	done := make(chan produced, len(p.partitions))
	for _, part := range p.partitions {
		rec := &kgo.Record{Topic: p.opts.Topic, Partition: part, Key: []byte("msctl-probe"), Value: value}
		p.cl.Produce(ctx, rec, func(rec *kgo.Record, err error) { done <- produced{rec.Partition, rec.Offset, err} })
	}
	offsets := make(map[int32]int64, len(p.partitions))
	for range p.partitions {
		select {
		case res := <-done:
			if res.err != nil {
				return nil, fmt.Errorf("partition %d: %w", res.partition, p.wrapErr(res.err))
			}
			offsets[res.partition] = res.offset
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d partitions not acknowledged: %w", len(p.partitions)-len(offsets), len(p.partitions), ctx.Err())
		}
	}
	return offsets, nil
}

// loadPartitions asks for the topic's metadata (creating the topic where
// the cluster allows it) and keeps its partitions.
func (p *KafkaProber) loadPartitions(ctx context.Context) error {
	var err error
	// A topic being created has no partitions or leaders for a moment:
	// retry briefly, as clients do.
	for attempt := range 8 {
		if attempt > 0 && sleepCtx(ctx, time.Duration(50*attempt)*time.Millisecond) != nil {
			return fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		req := kmsg.NewPtrMetadataRequest()
		t := kmsg.NewMetadataRequestTopic()
		t.Topic = kmsg.StringPtr(p.opts.Topic)
		req.Topics = append(req.Topics, t)
		req.AllowAutoTopicCreation = true
		var resp *kmsg.MetadataResponse
		if resp, err = req.RequestWith(ctx, p.cl); err != nil {
			return p.wrapErr(err)
		}
		err = kerr.UnknownTopicOrPartition
		for _, rt := range resp.Topics {
			if rt.Topic == nil || *rt.Topic != p.opts.Topic {
				continue
			}
			if err = kerr.ErrorForCode(rt.ErrorCode); err != nil {
				break
			}
			if len(rt.Partitions) == 0 {
				err = kerr.LeaderNotAvailable
				break
			}
			parts := make([]int32, 0, len(rt.Partitions))
			for _, rp := range rt.Partitions {
				parts = append(parts, rp.Partition)
			}
			slices.Sort(parts)
			p.partitions = parts
			return nil
		}
		if !kerr.IsRetriable(err) {
			return p.wrapErr(err)
		}
	}
	return err
}

// notFetched is a record that did not come back before the probe's time
// was up.
type notFetched struct {
	topic     string
	partition int32
	offset    int64
	cause     error
}

func (e notFetched) Error() string {
	return fmt.Sprintf("record not fetched back from %s/%d@%d: %v", e.topic, e.partition, e.offset, e.cause)
}

func (e notFetched) Unwrap() error { return e.cause }

// fetch reads each partition from its offset until the record with value
// comes back or ctx ends, counting other records before it in d.Skipped.
func (p *KafkaProber) fetch(ctx context.Context, offsets map[int32]int64, value []byte, d *BrokerDetails) error {
	topic := p.opts.Topic
	add := map[string]map[int32]kgo.Offset{topic: {}}
	remove := map[string][]int32{}
	missing := make(map[int32]int64, len(offsets))
	for part, off := range offsets {
		add[topic][part] = kgo.NewOffset().At(off)
		remove[topic] = append(remove[topic], part)
		missing[part] = off
	}
	p.cl.AddConsumePartitions(add)
	defer p.cl.RemoveConsumePartitions(remove)
	for len(missing) > 0 {
		fs := p.cl.PollFetches(ctx)
		if cause := ctx.Err(); cause != nil {
			part := slices.Min(slices.Collect(maps.Keys(missing)))
			return notFetched{topic, part, missing[part], cause}
		}
		var ferr error
		fs.EachError(func(t string, part int32, err error) {
			if ferr == nil {
				ferr = fmt.Errorf("fetching %s/%d@%d: %w", t, part, offsets[part], err)
			}
		})
		if ferr != nil {
			return ferr
		}
		fs.EachRecord(func(rec *kgo.Record) {
			off, ok := missing[rec.Partition]
			if rec.Topic != topic || !ok || rec.Offset < off {
				return
			}
			if bytes.Equal(rec.Value, value) {
				delete(missing, rec.Partition)
				return
			}
			d.Skipped++
		})
	}
	return nil
}

// softwareVersion makes a version string fit KIP-511's pattern
// [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?, which brokers check.
func softwareVersion(v string) string {
	v = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, v)
	v = strings.Trim(v, ".-")
	if v == "" {
		return "unknown"
	}
	return v
}

func kafkaClass(err error, phase string) ErrorClass {
	// The broker refused the credentials: it was reached and answered,
	// as a broker refusing a login is for AMQP, STOMP and NATS.
	if errors.Is(err, errSASLRefused) || errors.Is(err, kerr.SaslAuthenticationFailed) || errors.Is(err, kerr.UnsupportedSaslMechanism) || errors.Is(err, kerr.IllegalSaslState) {
		return ClassStatus
	}
	c := Classify(err, phase)
	if c == ClassProtocol && phase == PhaseConnect {
		return ClassConnect
	}
	return c
}
