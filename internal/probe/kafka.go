package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
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
type KafkaProber struct {
	opts  KafkaOptions
	u     *url.URL
	seeds []string
	cl    *kgo.Client
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
	return &KafkaProber{opts: o, u: u, seeds: strings.Split(u.Host, ",")}, nil
}

// Close closes the client.
func (p *KafkaProber) Close() error {
	if p.cl != nil {
		p.cl.Close()
	}
	return nil
}

// Probe produces one record and consumes it back.
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
		err := timed(r, PhaseConnect, func() error {
			var err error
			p.cl, err = kgo.NewClient(kgo.SeedBrokers(p.seeds...), kgo.ClientID("msctl-probe"),
				kgo.AllowAutoTopicCreation(), kgo.ProducerLinger(0), kgo.FetchMaxWait(100*time.Millisecond),
				kgo.DialTimeout(5*time.Second))
			if err != nil {
				return err
			}
			return p.cl.Ping(ctx)
		})
		if err != nil {
			if p.cl != nil {
				p.cl.Close()
				p.cl = nil
			}
			r.Fail(PhaseConnect, kafkaClass(err, PhaseConnect), err)
			return r
		}
	} else {
		r.Reused = true
	}
	r.RemoteAddr = p.seeds[0]
	value := append([]byte("msctl-probe "+d.MessageID+" "), p.opts.Payload...)
	t0 := time.Now()
	var rec *kgo.Record
	err := timed(r, PhasePublish, func() error {
		var err error
		rec, err = p.cl.ProduceSync(ctx, &kgo.Record{Topic: p.opts.Topic, Key: []byte("msctl-probe"), Value: value}).First()
		return err
	})
	if err != nil {
		r.Fail(PhasePublish, kafkaClass(err, PhasePublish), fmt.Errorf("producing to %s: %w", p.opts.Topic, err))
		return r
	}
	d.Partition, d.Offset = &rec.Partition, &rec.Offset
	// Fetch from exactly the acknowledged offset, so the probe neither
	// races a consumer reset nor joins a group.
	p.cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{p.opts.Topic: {rec.Partition: kgo.NewOffset().At(rec.Offset)}})
	defer p.cl.RemoveConsumePartitions(map[string][]int32{p.opts.Topic: {rec.Partition}})
	for {
		fs := p.cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			r.addPhase(PhaseRoundtrip, time.Since(t0))
			r.Fail(PhaseRoundtrip, ClassTimeout, fmt.Errorf("record not fetched back from %s/%d@%d: %w", p.opts.Topic, rec.Partition, rec.Offset, err))
			return r
		}
		var fetchErr error
		fs.EachError(func(_ string, _ int32, err error) { fetchErr = err })
		if fetchErr != nil {
			r.addPhase(PhaseRoundtrip, time.Since(t0))
			r.Fail(PhaseRoundtrip, kafkaClass(fetchErr, PhaseRoundtrip), fetchErr)
			return r
		}
		found := false
		fs.EachRecord(func(got *kgo.Record) {
			if bytes.Equal(got.Value, value) {
				found = true
			} else if !found {
				d.Skipped++
			}
		})
		if found {
			r.addPhase(PhaseRoundtrip, time.Since(t0))
			r.Body = value
			r.OK, r.Status = true, "received"
			return r
		}
	}
}

func kafkaClass(err error, phase string) ErrorClass {
	if errors.Is(err, kgo.ErrClientClosed) {
		return ClassProtocol
	}
	c := Classify(err, phase)
	if c == ClassProtocol && phase == PhaseConnect {
		return ClassConnect
	}
	return c
}
