package probe

import (
	"context"
	"crypto/tls"
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

// TestKafkaProbeSASL probes a cluster that requires SASL, with each
// mechanism: the right password passes, a wrong one is the broker's
// refusal (class status, exit 1), not an unreachable broker, and the
// password is never in the result.
func TestKafkaProbeSASL(t *testing.T) {
	for _, mech := range KafkaSASLMechanisms {
		t.Run(mech, func(t *testing.T) {
			k := must(probeserver.StartKafkaWith(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(2),
				kfake.EnableSASL(), kfake.Superuser(mech, "probe", "s3cret-pass")))(t)
			defer k.Stop()
			for _, tt := range []struct {
				name, pass string
				wantOK     bool
				wantClass  ErrorClass
				wantExit   int
				wantErr    string
				// answer makes the cluster answer refused PLAIN
				// credentials as Kafka does, with an error code
				// (kfake closes the connection).
				answer bool
			}{
				{"right password", "s3cret-pass", true, ClassNone, 0, "", false},
				{"wrong password", "wrong-pass", false, ClassStatus, 1, "closed the connection during SASL authentication", false},
				{"wrong password answered", "wrong-pass", false, ClassStatus, 1, "SASL_AUTHENTICATION_FAILED", true},
			} {
				if tt.answer && mech != "PLAIN" {
					continue
				}
				t.Run(tt.name, func(t *testing.T) {
					if tt.answer {
						c := k.Cluster()
						c.ControlKey(kmsg.SASLAuthenticate.Int16(), func(kr kmsg.Request) (kmsg.Response, error, bool) {
							c.KeepControl()
							req := kr.(*kmsg.SASLAuthenticateRequest)
							if parts := strings.Split(string(req.SASLAuthBytes), "\x00"); len(parts) == 3 && parts[2] == "s3cret-pass" {
								return nil, nil, false
							}
							resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
							resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
							resp.ErrorMessage = kmsg.StringPtr("Authentication failed: Invalid username or password")
							return resp, nil, true
						})
						defer c.DropControl()
					}
					p := must(NewKafka(KafkaOptions{URL: k.URL, SASL: KafkaSASL{Mechanism: mech, User: "probe", Password: tt.pass}}))(t)
					defer p.Close()
					rs, err := Run(context.Background(), p, RunOptions{Count: 2, Timeout: 3 * time.Second})
					if err != nil {
						t.Fatal(err)
					}
					r := rs[0]
					if r.OK != tt.wantOK || r.ErrorClass != tt.wantClass {
						t.Fatalf("ok %v class %q, want %v %q (error %q)", r.OK, r.ErrorClass, tt.wantOK, tt.wantClass, r.Error)
					}
					if got := ExitCode(rs); got != tt.wantExit {
						t.Errorf("exit code %d, want %d", got, tt.wantExit)
					}
					if tt.wantOK {
						if len(r.Broker.Partitions) != 2 || !rs[1].Reused || *rs[1].Broker.Offset != 1 {
							t.Errorf("partitions %v, second probe reused %v offset %d", r.Broker.Partitions, rs[1].Reused, *rs[1].Broker.Offset)
						}
						return
					}
					want(t, "failed phase", r.FailedPhase, PhaseConnect)
					wantErr(t, r, tt.wantErr)
					wantErr(t, r, "check --sasl-user and the password")
					if strings.Contains(r.Error, tt.pass) {
						t.Errorf("error shows the password: %q", r.Error)
					}
				})
			}
		})
	}
}

// TestKafkaProbeTLS probes a cluster over TLS with a test CA: verified,
// with a client certificate, by another server name, unverified with
// --insecure, and failing verification without the CA.
func TestKafkaProbeTLS(t *testing.T) {
	ca := must(testserver.NewCA("kafka test CA"))(t)
	server := must(ca.Issue(testserver.LeafOptions{CommonName: "kafka", DNSNames: []string{"kafka.test"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}))(t)
	client := must(ca.Issue(testserver.LeafOptions{CommonName: "probe", Client: true}))(t)
	dir := t.TempDir()
	if err := testserver.WriteFiles(dir, ca, map[string]*testserver.Leaf{"client": client}); err != nil {
		t.Fatal(err)
	}
	k := must(probeserver.StartKafkaWith(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{server.TLS}, ClientCAs: ca.Pool(), ClientAuth: tls.VerifyClientCertIfGiven})))(t)
	defer k.Stop()
	caFile := dir + "/ca.pem"
	for _, tt := range []struct {
		name      string
		tls       TLSOptions
		wantClass ErrorClass
		wantPhase string
		verified  bool
	}{
		{name: "verified", tls: TLSOptions{CACert: caFile}, verified: true},
		{name: "client certificate", tls: TLSOptions{CACert: caFile, Cert: dir + "/client.pem", Key: dir + "/client-key.pem"}, verified: true},
		{name: "server name", tls: TLSOptions{CACert: caFile, ServerName: "kafka.test"}, verified: true},
		{name: "insecure", tls: TLSOptions{Insecure: true}},
		{name: "unknown CA", tls: TLSOptions{}, wantClass: ClassTLS, wantPhase: PhaseTLS},
		{name: "wrong server name", tls: TLSOptions{CACert: caFile, ServerName: "other.test"}, wantClass: ClassTLS, wantPhase: PhaseTLS},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.tls
			p := must(NewKafka(KafkaOptions{URL: k.URL, TLS: &o}))(t)
			defer p.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			r := p.Probe(ctx)
			if r.ErrorClass != tt.wantClass || r.FailedPhase != tt.wantPhase {
				t.Fatalf("class/phase %q/%q, want %q/%q (error %q)", r.ErrorClass, r.FailedPhase, tt.wantClass, tt.wantPhase, r.Error)
			}
			if tt.wantClass != ClassNone {
				if got := ExitCode([]*Result{r}); got != 3 {
					t.Errorf("exit code %d, want 3", got)
				}
				return
			}
			wantPhases(t, r, "connect", "tls", "publish", "roundtrip")
			if r.TLS == nil || r.TLS.Verified != tt.verified || len(r.TLS.PeerChain) == 0 || r.TLS.PeerChain[0].Subject != "CN=kafka" {
				t.Errorf("tls details %+v", r.TLS)
			}
		})
	}
	// A plaintext probe of the TLS listener fails to connect.
	p := must(NewKafka(KafkaOptions{URL: k.URL}))(t)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if r := p.Probe(ctx); r.OK || !r.ErrorClass.Unreachable() {
		t.Errorf("plaintext to a TLS listener: ok %v class %q (%s)", r.OK, r.ErrorClass, r.Error)
	}
}

// TestKafkaProbeBoundedByTimeout checks that kgo's retries end with the
// probe's time limit: nothing listening, and a broker that goes away
// between probes.
func TestKafkaProbeBoundedByTimeout(t *testing.T) {
	bounded := func(t *testing.T, p *KafkaProber, timeout time.Duration) *Result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		start := time.Now()
		r := p.Probe(ctx)
		if took := time.Since(start); took > timeout+500*time.Millisecond {
			t.Errorf("probe took %v with a %v time limit", took, timeout)
		}
		if r.OK || !r.ErrorClass.Unreachable() || ExitCode([]*Result{r}) != 3 {
			t.Errorf("ok %v class %q exit %d (%s), want unreachable", r.OK, r.ErrorClass, ExitCode([]*Result{r}), r.Error)
		}
		return r
	}
	t.Run("closed port", func(t *testing.T) {
		p := must(NewKafka(KafkaOptions{URL: "kafka://127.0.0.1:" + closedPort(t)}))(t)
		defer p.Close()
		want(t, "failed phase", bounded(t, p, 2*time.Second).FailedPhase, PhaseConnect)
	})
	t.Run("broker stopped", func(t *testing.T) {
		k := must(probeserver.StartKafkaWith(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1)))(t)
		p := must(NewKafka(KafkaOptions{URL: k.URL}))(t)
		defer p.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if r := p.Probe(ctx); !r.OK {
			t.Fatalf("first probe: %s", r.Error)
		}
		k.Stop()
		bounded(t, p, time.Second)
		// And the next probe, from the seeds again, is bounded too.
		bounded(t, p, time.Second)
		closeStart := time.Now()
		p.Close()
		if took := time.Since(closeStart); took > time.Second {
			t.Errorf("Close took %v", took)
		}
	})
}

// TestKafkaFetchSkipsControlRecords fetches past transaction markers: a
// transactional client commits a record, then the probe's value; the
// commit marker between them is not counted as a skipped record.
func TestKafkaFetchSkipsControlRecords(t *testing.T) {
	k := must(probeserver.StartKafka())(t)
	defer k.Stop()
	addr := strings.TrimPrefix(k.URL, "kafka://")
	cl := must(kgo.NewClient(kgo.SeedBrokers(addr), kgo.TransactionalID("msctl-probe-test"), kgo.AllowAutoTopicCreation(),
		kgo.DefaultProduceTopic("txn"), kgo.RecordPartitioner(kgo.ManualPartitioner())))(t)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, v := range []string{"before", "target"} {
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Partition: 0, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			t.Fatal(err)
		}
	}
	p := must(NewKafka(KafkaOptions{URL: k.URL, Topic: "txn"}))(t)
	defer p.Close()
	if err := p.connect(ctx, &Result{}); err != nil {
		t.Fatal(err)
	}
	var d BrokerDetails
	if err := p.fetch(ctx, map[int32]int64{0: 0}, []byte("target"), &d); err != nil {
		t.Fatal(err)
	}
	if d.Skipped != 1 {
		t.Errorf("skipped %d, want 1 (the first record, not the commit marker)", d.Skipped)
	}
}
