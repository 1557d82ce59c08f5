package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// KafkaOptions configure a Kafka probe.
type KafkaOptions struct {
	// URL is kafka://HOST:PORT[,HOST:PORT...].
	URL     string
	Topic   string // default "msctl-probe"
	Payload []byte
}

// KafkaProber produces a record and fetches it back from the partition
// and offset the broker acknowledged: the produce and fetch paths both,
// without a consumer group.
//
// It speaks the Kafka protocol itself with franz-go's message types
// (kmsg) instead of franz-go's client (kgo), whose compression codecs and
// CRC tables would cost every msctl invocation about 1.4 million
// instructions at start-up (see kafkawire.go).
type KafkaProber struct {
	opts   KafkaOptions
	u      *url.URL
	seeds  []string
	dialer net.Dialer

	// seed is the connection to the first seed broker that answered;
	// leader is the connection to the probed partition's leader (the
	// same one when the seed leads it).
	seed, leader *kafkaConn
	// partition and topicID are the probed partition and its topic's
	// id (zero before Kafka 2.8), valid while leader is set.
	partition int32
	topicID   [16]byte
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
	return &KafkaProber{opts: o, u: u, seeds: strings.Split(u.Host, ","),
		dialer: net.Dialer{Timeout: 5 * time.Second}}, nil
}

// Close closes the connections.
func (p *KafkaProber) Close() error {
	p.reset()
	return nil
}

// reset closes the connections, so that the next probe starts afresh.
func (p *KafkaProber) reset() {
	if p.leader != p.seed {
		p.leader.close()
	}
	p.seed.close()
	p.seed, p.leader = nil, nil
}

// Probe produces one record and consumes it back.
func (p *KafkaProber) Probe(ctx context.Context) *Result {
	r, stale := p.probe(ctx)
	if stale && ctx.Err() == nil {
		// A kept connection the broker has closed meanwhile (Kafka
		// closes idle ones after 10 minutes) fails the first request;
		// start once more from the seeds, as a client would.
		r, _ = p.probe(ctx)
	}
	return r
}

// staleConn reports whether err is a connection closed or reset by the
// peer, as a broker closing an idle one produces.
func staleConn(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// probe runs one probe; stale reports that it failed on a reused
// connection the broker had closed.
func (p *KafkaProber) probe(ctx context.Context) (r *Result, stale bool) {
	r = &Result{Protocol: "kafka", Target: RedactURL(p.opts.URL), StatusCode: -1}
	d := &BrokerDetails{Destination: p.opts.Topic, MessageID: newMessageID(), Mode: "pubsub"}
	r.Broker = d
	start := time.Now()
	defer func() { r.TotalMS = ms(time.Since(start)) }()
	if p.seed == nil {
		if !resolveHost(ctx, &url.URL{Host: p.seeds[0]}, r) {
			return r, false
		}
		if err := timed(r, PhaseConnect, func() error { return p.connect(ctx) }); err != nil {
			r.Fail(PhaseConnect, kafkaClass(err, PhaseConnect), err)
			return r, false
		}
	} else {
		r.Reused = true
	}
	r.RemoteAddr = p.seed.addr
	value := append([]byte("msctl-probe "+d.MessageID+" "), p.opts.Payload...)
	t0 := time.Now()
	var offset int64
	err := timed(r, PhasePublish, func() error {
		var err error
		offset, err = p.produce(ctx, value)
		return err
	})
	if err != nil {
		p.reset()
		r.Fail(PhasePublish, kafkaClass(err, PhasePublish), fmt.Errorf("producing to %s: %w", p.opts.Topic, err))
		return r, r.Reused && staleConn(err)
	}
	partition := p.partition
	d.Partition, d.Offset = &partition, &offset
	// Fetch from exactly the acknowledged offset, so the probe neither
	// races a consumer reset nor joins a group.
	err = p.fetch(ctx, offset, value, d)
	r.addPhase(PhaseRoundtrip, time.Since(t0))
	if err != nil {
		p.reset()
		if cause := ctx.Err(); cause != nil || errors.Is(err, context.DeadlineExceeded) {
			if cause == nil {
				cause = context.DeadlineExceeded
			}
			r.Fail(PhaseRoundtrip, ClassTimeout, fmt.Errorf("record not fetched back from %s/%d@%d: %w", p.opts.Topic, partition, offset, cause))
		} else {
			r.Fail(PhaseRoundtrip, kafkaClass(err, PhaseRoundtrip), err)
		}
		return r, false
	}
	r.Body = value
	r.OK, r.Status = true, "received"
	return r, false
}

// connect connects to the first seed broker that answers, in order.
func (p *KafkaProber) connect(ctx context.Context) error {
	var errs []error
	for _, addr := range p.seeds {
		c, err := dialKafka(ctx, &p.dialer, addr)
		if err == nil {
			p.seed = c
			return nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return seedErrors(errs)
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

// produce writes one record to the probed partition (found first when
// not known yet) with acks=all and returns its offset. A retriable broker
// error (a leader moved) loads the partition's leader again and retries,
// a bounded number of times.
func (p *KafkaProber) produce(ctx context.Context, value []byte) (int64, error) {
	var err error
	for attempt := range 3 {
		if attempt > 0 && sleepCtx(ctx, 100*time.Millisecond) != nil {
			return 0, fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		if p.leader == nil {
			if err = p.findLeader(ctx, -1); err != nil {
				return 0, err
			}
		}
		var offset int64
		offset, err = p.produceOnce(ctx, value)
		if err == nil || !kerr.IsRetriable(err) {
			return offset, err
		}
		p.dropLeader()
	}
	return 0, err
}

// dropLeader forgets the partition leader, to look it up again.
func (p *KafkaProber) dropLeader() {
	if p.leader != p.seed {
		p.leader.close()
	}
	p.leader = nil
}

func (p *KafkaProber) produceOnce(ctx context.Context, value []byte) (int64, error) {
	req := kmsg.NewPtrProduceRequest()
	req.Acks = -1
	req.TimeoutMillis = timeoutMillis(ctx, 10*time.Second)
	t := kmsg.NewProduceRequestTopic()
	t.Topic, t.TopicID = p.opts.Topic, p.topicID
	tp := kmsg.NewProduceRequestTopicPartition()
	tp.Partition = p.partition
	tp.Records = appendRecordBatch(nil, time.Now(), []byte("msctl-probe"), value)
	t.Partitions = append(t.Partitions, tp)
	req.Topics = append(req.Topics, t)
	// Produce v3 is the first with record batches (magic 2); v13 names
	// topics by id only.
	kr, err := p.leader.request(ctx, req, 3, p.idLimit(12))
	if err != nil {
		return 0, err
	}
	resp := kr.(*kmsg.ProduceResponse)
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if rp.Partition != p.partition {
				continue
			}
			if err := kafkaError(rp.ErrorCode); err != nil {
				if rp.ErrorMessage != nil && *rp.ErrorMessage != "" {
					return 0, fmt.Errorf("%w (%s)", err, *rp.ErrorMessage)
				}
				return 0, err
			}
			return rp.BaseOffset, nil
		}
	}
	return 0, fmt.Errorf("%w: produce response without partition %d", errKafkaProtocol, p.partition)
}

// idLimit is the highest version of a request that may be used when it
// names topics by id from version byID on: without an id (brokers before
// 2.8), the version before.
func (p *KafkaProber) idLimit(beforeID int16) int16 {
	if p.topicID == [16]byte{} {
		return beforeID
	}
	return -1
}

// findLeader asks for the topic's metadata (creating the topic where the
// broker allows it), picks partition want, or when want is -1 partition 0
// or else the first partition with a leader, and connects to the leader.
func (p *KafkaProber) findLeader(ctx context.Context, want int32) error {
	var err error
	// A topic being created has no partitions or leaders for a moment:
	// retry briefly, as clients do.
	for attempt := range 8 {
		if attempt > 0 && sleepCtx(ctx, time.Duration(50*attempt)*time.Millisecond) != nil {
			return fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		var addr string
		addr, err = p.metadata(ctx, want)
		if err != nil {
			if kerr.IsRetriable(err) {
				continue
			}
			return err
		}
		if addr == p.seed.addr {
			p.leader = p.seed
			return nil
		}
		c, err := dialKafka(ctx, &p.dialer, addr)
		if err != nil {
			return fmt.Errorf("connecting to the leader of %s/%d: %w", p.opts.Topic, p.partition, err)
		}
		p.leader = c
		return nil
	}
	return err
}

// metadata loads the probed partition (want, or any when -1) and its
// leader's address.
func (p *KafkaProber) metadata(ctx context.Context, want int32) (string, error) {
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(p.opts.Topic)
	req.Topics = append(req.Topics, t)
	req.AllowAutoTopicCreation = true
	kr, err := p.seed.request(ctx, req, 0, -1)
	if err != nil {
		return "", err
	}
	resp := kr.(*kmsg.MetadataResponse)
	if err := kafkaError(resp.ErrorCode); err != nil {
		return "", err
	}
	for _, rt := range resp.Topics {
		if rt.Topic == nil || *rt.Topic != p.opts.Topic {
			continue
		}
		if err := kafkaError(rt.ErrorCode); err != nil {
			return "", err
		}
		var pick *kmsg.MetadataResponseTopicPartition
		for i := range rt.Partitions {
			rp := &rt.Partitions[i]
			if rp.Leader < 0 || rp.ErrorCode != 0 && rp.ErrorCode != kerr.ReplicaNotAvailable.Code || want >= 0 && rp.Partition != want {
				continue
			}
			if pick == nil || rp.Partition == 0 || pick.Partition != 0 && rp.Partition < pick.Partition {
				pick = rp
			}
		}
		if pick == nil {
			return "", kerr.LeaderNotAvailable
		}
		for _, b := range resp.Brokers {
			if b.NodeID == pick.Leader {
				p.partition, p.topicID = pick.Partition, rt.TopicID
				return net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port))), nil
			}
		}
		return "", fmt.Errorf("%w: leader %d of %s/%d is not among the brokers listed", errKafkaProtocol, pick.Leader, p.opts.Topic, pick.Partition)
	}
	return "", kerr.UnknownTopicOrPartition
}

// fetch reads the partition from offset until the record with value comes
// back or ctx ends, counting other records before it in d.Skipped.
func (p *KafkaProber) fetch(ctx context.Context, offset int64, value []byte, d *BrokerDetails) error {
fetching:
	for ctx.Err() == nil {
		req := kmsg.NewPtrFetchRequest()
		req.MaxWaitMillis = 100
		req.MinBytes = 1
		req.MaxBytes = 1 << 20
		t := kmsg.NewFetchRequestTopic()
		t.Topic, t.TopicID = p.opts.Topic, p.topicID
		tp := kmsg.NewFetchRequestTopicPartition()
		tp.Partition = p.partition
		tp.FetchOffset = offset
		tp.PartitionMaxBytes = 1 << 20
		t.Partitions = append(t.Partitions, tp)
		req.Topics = append(req.Topics, t)
		// Fetch v4 is the first that returns record batches as stored
		// (magic 2); v13 names topics by id only.
		kr, err := p.leader.request(ctx, req, 4, p.idLimit(12))
		if err != nil {
			return err
		}
		resp := kr.(*kmsg.FetchResponse)
		if err := kafkaError(resp.ErrorCode); err != nil {
			return fmt.Errorf("fetching %s/%d@%d: %w", p.opts.Topic, p.partition, offset, err)
		}
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				if rp.Partition != p.partition {
					continue
				}
				if err := kafkaError(rp.ErrorCode); err != nil {
					if kerr.IsRetriable(err) {
						// Leadership moving, a replica catching up:
						// find the leader again and retry while the
						// probe has time.
						if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
							return err
						}
						p.dropLeader()
						if err := p.findLeader(ctx, p.partition); err != nil {
							return err
						}
						continue fetching
					}
					return fmt.Errorf("fetching %s/%d@%d: %w", p.opts.Topic, p.partition, offset, err)
				}
				s, err := scanBatches(rp.RecordBatches, offset, value)
				d.Skipped += s.skipped
				if err != nil || s.found {
					return err
				}
				offset = s.next
			}
		}
	}
	return ctx.Err()
}

// timeoutMillis is the time left before ctx's deadline, at most def, for
// a request's own timeout field.
func timeoutMillis(ctx context.Context, def time.Duration) int32 {
	if dl, ok := ctx.Deadline(); ok {
		def = min(def, time.Until(dl))
	}
	return int32(max(def.Milliseconds(), 1))
}

func kafkaClass(err error, phase string) ErrorClass {
	c := Classify(err, phase)
	if c == ClassProtocol && phase == PhaseConnect {
		return ClassConnect
	}
	return c
}
