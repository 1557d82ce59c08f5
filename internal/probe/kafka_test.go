package probe

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/msctl/msctl/internal/testserver"
	"github.com/msctl/msctl/internal/testserver/probeserver"
)

// produceWithClient writes values to partition 0 of topic, the one the
// probe uses, as one batch with franz-go's own client, compressed with
// codec: records written by a client other than the probe.
func produceWithClient(t *testing.T, addr, topic string, codec kgo.CompressionCodec, values ...string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.AllowAutoTopicCreation(), kgo.DefaultProduceTopic(topic),
		kgo.ProducerBatchCompression(codec), kgo.ManualFlushing(), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errc := make(chan error, len(values))
	for _, v := range values {
		cl.Produce(ctx, &kgo.Record{Partition: 0, Value: []byte(v)}, func(_ *kgo.Record, err error) { errc <- err })
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for range values {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}

// fetchWithClient reads the record at offset of partition 0 of topic
// with franz-go's own client, which checks the batch's CRC.
func fetchWithClient(t *testing.T, addr, topic string, offset int64) *kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().At(offset)}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("record %s/0@%d not fetched: %v", topic, offset, err)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatal(err) })
		if recs := fs.Records(); len(recs) > 0 {
			return recs[0]
		}
	}
}

// TestKafkaProbeVersions probes clusters that speak the protocol of
// several Kafka releases: without flexible versions (2.0), flexible but
// without topic ids in produce and fetch (2.8), and the newest.
func TestKafkaProbeVersions(t *testing.T) {
	for _, tt := range []struct {
		name string
		v    *kversion.Versions
	}{
		{"kafka 0.11", kversion.V0_11_0()},
		{"kafka 2.0", kversion.V2_0_0()},
		{"kafka 2.8", kversion.V2_8_0()},
		{"kafka 3.9", kversion.V3_9_0()},
		{"newest", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := []kfake.Opt{kfake.NumBrokers(1), kfake.AllowAutoTopicCreation()}
			if tt.v != nil {
				opts = append(opts, kfake.MaxVersions(tt.v))
			}
			k := must(probeserver.StartKafkaWith(opts...))(t)
			defer k.Stop()
			p := must(NewKafka(KafkaOptions{URL: k.URL}))(t)
			defer p.Close()
			rs, err := Run(context.Background(), p, RunOptions{Count: 2, Timeout: 3 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range rs {
				if !r.OK {
					t.Fatalf("probe %d: %s in %s: %s", i, r.ErrorClass, r.FailedPhase, r.Error)
				}
			}
			if *rs[1].Broker.Offset != 1 || !rs[1].Reused {
				t.Errorf("second probe: offset %d, reused %v", *rs[1].Broker.Offset, rs[1].Reused)
			}
		})
	}
}

// TestKafkaProbeLeaderElsewhere probes a partition led by another broker
// than the seed.
func TestKafkaProbeLeaderElsewhere(t *testing.T) {
	k := must(probeserver.StartKafkaWith(kfake.NumBrokers(3), kfake.SeedTopics(1, "moved")))(t)
	defer k.Stop()
	c := k.Cluster()
	if err := c.MoveTopicPartition("moved", 0, 2); err != nil {
		t.Fatal(err)
	}
	var produceNode atomic.Int32
	produceNode.Store(-1)
	c.ControlKey(kmsg.Produce.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
		produceNode.Store(c.CurrentNode())
		return nil, nil, false
	})
	seed := c.ListenAddrs()[0] // node 0
	p := must(NewKafka(KafkaOptions{URL: "kafka://" + seed, Topic: "moved"}))(t)
	defer p.Close()
	probe := func(leader int32) *Result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		r := p.Probe(ctx)
		if !r.OK {
			t.Fatalf("%s in %s: %s", r.ErrorClass, r.FailedPhase, r.Error)
		}
		if n := produceNode.Load(); n != leader {
			t.Errorf("produced to node %d, want the leader, %d", n, leader)
		}
		return r
	}
	r := probe(2)
	want(t, "remote", r.RemoteAddr, seed)
	// The leader moves: the kept leader connection answers
	// NOT_LEADER_FOR_PARTITION, and the probe finds the new one.
	if err := c.MoveTopicPartition("moved", 0, 1); err != nil {
		t.Fatal(err)
	}
	if r := probe(1); !r.Reused || *r.Broker.Offset != 1 {
		t.Errorf("after the move: reused %v, offset %d", r.Reused, *r.Broker.Offset)
	}
}

// TestKafkaProbeFailures covers the error classes and broker error codes.
func TestKafkaProbeFailures(t *testing.T) {
	// A listener that accepts and never answers, and one that speaks HTTP.
	silent := testserver.ServeTCP(t, func(c net.Conn) { time.Sleep(2 * time.Second) })
	httpish := testserver.ServeTCP(t, func(c net.Conn) { _, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")) })

	noAuto := must(probeserver.StartKafkaWith(kfake.NumBrokers(1)))(t)
	defer noAuto.Stop()
	old := must(probeserver.StartKafkaWith(kfake.NumBrokers(1), kfake.SeedTopics(1, "msctl-probe"), kfake.MaxVersions(kversion.V0_10_2())))(t)
	defer old.Stop()

	k := must(probeserver.StartKafka())(t)
	defer k.Stop()
	c := k.Cluster()
	produceError := func(code int16) func(kmsg.Request) (kmsg.Response, error, bool) {
		return func(kr kmsg.Request) (kmsg.Response, error, bool) {
			req := kr.(*kmsg.ProduceRequest)
			resp := req.ResponseKind().(*kmsg.ProduceResponse)
			for _, rt := range req.Topics {
				st := kmsg.NewProduceResponseTopic()
				st.Topic, st.TopicID = rt.Topic, rt.TopicID
				for _, rp := range rt.Partitions {
					sp := kmsg.NewProduceResponseTopicPartition()
					sp.Partition, sp.ErrorCode = rp.Partition, code
					st.Partitions = append(st.Partitions, sp)
				}
				resp.Topics = append(resp.Topics, st)
			}
			return resp, nil, true
		}
	}

	for _, tt := range []struct {
		name      string
		url       string
		topic     string
		setup     func() // runs between a first, successful probe and the one checked
		timeout   time.Duration
		wantOK    bool
		wantClass ErrorClass
		wantPhase string
		wantExit  int
		wantErr   string
		check     func(t *testing.T, r *Result)
	}{
		{name: "broker never answers", url: "kafka://" + silent, timeout: 300 * time.Millisecond,
			wantClass: ClassTimeout, wantPhase: PhaseConnect, wantExit: 3},
		{name: "not a kafka listener", url: "kafka://" + httpish,
			wantClass: ClassConnect, wantPhase: PhaseConnect, wantExit: 3, wantErr: "answered with HTTP"},
		{name: "kafka before 0.11", url: old.URL,
			wantClass: ClassProtocol, wantPhase: PhasePublish, wantExit: 1, wantErr: "the probe needs Kafka 0.11 or later"},
		{name: "topic does not exist", url: noAuto.URL, topic: "absent",
			wantClass: ClassProtocol, wantPhase: PhasePublish, wantExit: 1, wantErr: "UNKNOWN_TOPIC_OR_PARTITION"},
		{name: "produce refused", url: k.URL, topic: "refused",
			setup:     func() { c.ControlKey(kmsg.Produce.Int16(), produceError(kerr.TopicAuthorizationFailed.Code)) },
			wantClass: ClassProtocol, wantPhase: PhasePublish, wantExit: 1, wantErr: "TOPIC_AUTHORIZATION_FAILED"},
		{name: "leader moved, produce retried", url: k.URL, topic: "retried",
			setup:  func() { c.ControlKey(kmsg.Produce.Int16(), produceError(kerr.NotLeaderForPartition.Code)) },
			wantOK: true,
			check: func(t *testing.T, r *Result) {
				if !r.Reused || *r.Broker.Offset != 1 {
					t.Errorf("reused %v, offset %d", r.Reused, *r.Broker.Offset)
				}
			}},
		{name: "broker closed the kept connection", url: k.URL, topic: "stale",
			setup: func() {
				c.ControlKey(kmsg.Produce.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
					return nil, errors.New("closing the connection"), true
				})
			},
			wantOK: true,
			check: func(t *testing.T, r *Result) {
				// The probe started afresh from the seeds.
				wantPhases(t, r, "connect", "publish", "roundtrip")
				if r.Reused {
					t.Error("reused after reconnecting")
				}
			}},
		{name: "fetch answered NOT_LEADER, retried", url: k.URL, topic: "refetched",
			setup: func() {
				c.ControlKey(kmsg.Fetch.Int16(), func(kr kmsg.Request) (kmsg.Response, error, bool) {
					req := kr.(*kmsg.FetchRequest)
					resp := req.ResponseKind().(*kmsg.FetchResponse)
					for _, rt := range req.Topics {
						st := kmsg.NewFetchResponseTopic()
						st.Topic, st.TopicID = rt.Topic, rt.TopicID
						for _, rp := range rt.Partitions {
							sp := kmsg.NewFetchResponseTopicPartition()
							sp.Partition, sp.ErrorCode = rp.Partition, kerr.NotLeaderForPartition.Code
							st.Partitions = append(st.Partitions, sp)
						}
						resp.Topics = append(resp.Topics, st)
					}
					return resp, nil, true
				})
			},
			wantOK: true},
		{name: "record never fetched back", url: k.URL, topic: "unfetched", timeout: 500 * time.Millisecond,
			setup: func() {
				c.ControlKey(kmsg.Fetch.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
					c.KeepControl()
					return nil, nil, true // no reply
				})
			},
			wantClass: ClassTimeout, wantPhase: PhaseRoundtrip, wantExit: 3, wantErr: "record not fetched back from unfetched/0@1",
			check: func(t *testing.T, r *Result) {
				if r.Broker.Offset == nil || *r.Broker.Offset != 1 {
					t.Errorf("offset %v", r.Broker.Offset)
				}
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := must(NewKafka(KafkaOptions{URL: tt.url, Topic: tt.topic}))(t)
			defer p.Close()
			timeout := cmpOr(tt.timeout, 3*time.Second)
			if tt.setup != nil {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				r := p.Probe(ctx)
				cancel()
				if !r.OK {
					t.Fatalf("first probe: %s", r.Error)
				}
				tt.setup()
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			r := p.Probe(ctx)
			if r.OK != tt.wantOK || r.ErrorClass != tt.wantClass || r.FailedPhase != tt.wantPhase {
				t.Fatalf("ok %v, class/phase %q/%q, want %v %q/%q (error %q)", r.OK, r.ErrorClass, r.FailedPhase, tt.wantOK, tt.wantClass, tt.wantPhase, r.Error)
			}
			if got := ExitCode([]*Result{r}); got != tt.wantExit {
				t.Errorf("exit code %d, want %d", got, tt.wantExit)
			}
			wantErr(t, r, tt.wantErr)
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func cmpOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// TestKafkaFetchClientBatches reads batches franz-go's client wrote,
// uncompressed and with every codec, with the probe's fetch: the records
// before the probe's value in the batch are counted as skipped, those
// before the fetch offset are not.
func TestKafkaFetchClientBatches(t *testing.T) {
	k := must(probeserver.StartKafka())(t)
	defer k.Stop()
	addr := strings.TrimPrefix(k.URL, "kafka://")
	for _, tt := range []struct {
		topic       string
		codec       kgo.CompressionCodec
		from        int64
		wantSkipped int
	}{
		{"plain", kgo.NoCompression(), 0, 2},
		{"gzipped", kgo.GzipCompression(), 0, 2},
		{"snappy", kgo.SnappyCompression(), 0, 2},
		{"lz4", kgo.Lz4Compression(), 0, 2},
		{"zstd", kgo.ZstdCompression(), 0, 2},
		{"from-the-second", kgo.GzipCompression(), 1, 1},
	} {
		t.Run(tt.topic, func(t *testing.T) {
			// Values long and repetitive enough that the client does
			// compress them (it sends a batch that would not shrink as is).
			pad := strings.Repeat(".", 300)
			produceWithClient(t, addr, tt.topic, tt.codec, "first"+pad, "second"+pad, "target"+pad, "after"+pad)
			p := must(NewKafka(KafkaOptions{URL: k.URL, Topic: tt.topic}))(t)
			defer p.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			if err := p.connect(ctx, &Result{}); err != nil {
				t.Fatal(err)
			}
			if err := p.loadPartitions(ctx); err != nil {
				t.Fatal(err)
			}
			var d BrokerDetails
			if err := p.fetch(ctx, map[int32]int64{0: tt.from}, []byte("target"+pad), &d); err != nil {
				t.Fatal(err)
			}
			if d.Skipped != tt.wantSkipped {
				t.Errorf("skipped %d, want %d", d.Skipped, tt.wantSkipped)
			}
		})
	}
}

func TestSoftwareVersion(t *testing.T) {
	for in, wantv := range map[string]string{
		"v1.2.3": "v1.2.3", "dev": "dev", "v0.0.0-2026+dirty": "v0.0.0-2026-dirty", "": "unknown", "+x+": "x",
	} {
		want(t, in, softwareVersion(in), wantv)
	}
}
