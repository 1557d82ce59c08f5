package probe

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/msctl/msctl/internal/testserver"
	"github.com/msctl/msctl/internal/testserver/probeserver"
)

type brokerCase struct {
	name      string
	prober    func(t *testing.T) Prober
	count     int
	wantClass ErrorClass
	wantPhase string
	wantExit  int
	check     func(t *testing.T, rs []*Result)
}

func runBrokerCases(t *testing.T, cases []brokerCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.prober(t)
			defer p.Close()
			results, err := Run(context.Background(), p, RunOptions{Count: tt.count, Timeout: 3 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			r := results[len(results)-1]
			if r.ErrorClass != tt.wantClass || r.FailedPhase != tt.wantPhase {
				t.Fatalf("class/phase = %q/%q, want %q/%q (error %q)", r.ErrorClass, r.FailedPhase, tt.wantClass, tt.wantPhase, r.Error)
			}
			if got := ExitCode(results); got != tt.wantExit {
				t.Errorf("exit code = %d, want %d", got, tt.wantExit)
			}
			if tt.check != nil {
				tt.check(t, results)
			}
		})
	}
}

// must turns a (value, error) pair into a value, failing t on error:
// must(f())(t).
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestNATSProbe(t *testing.T) {
	s := must(probeserver.StartNATS())(t)
	defer s.Stop()
	// A responder for request/reply.
	nc := must(nats.Connect(s.URL))(t)
	defer nc.Close()
	if _, err := nc.Subscribe("orders.ping", func(m *nats.Msg) { _ = m.Respond([]byte("pong")) }); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	runBrokerCases(t, []brokerCase{
		{name: "publish and receive", count: 2, prober: func(t *testing.T) Prober { return must(NewNATS(NATSOptions{URL: s.URL}))(t) },
			check: func(t *testing.T, rs []*Result) {
				wantPhases(t, rs[0], "connect", "subscribe", "roundtrip")
				wantPhases(t, rs[1], "roundtrip")
				if !rs[1].Reused || !strings.HasPrefix(rs[0].Broker.Destination, "_MSCTL.probe.") {
					t.Errorf("second = %+v %+v", rs[1], rs[0].Broker)
				}
			}},
		{name: "request and reply", prober: func(t *testing.T) Prober {
			return must(NewNATS(NATSOptions{URL: s.URL, Subject: "orders.ping", Request: true}))(t)
		}, check: func(t *testing.T, rs []*Result) { wantBody(t, rs[0], "pong") }},
		{name: "no responders", prober: func(t *testing.T) Prober {
			return must(NewNATS(NATSOptions{URL: s.URL, Subject: "nobody.home", Request: true}))(t)
		}, wantClass: ClassStatus, wantPhase: "roundtrip", wantExit: 1},
		{name: "nothing listens", prober: func(t *testing.T) Prober {
			return must(NewNATS(NATSOptions{URL: "nats://127.0.0.1:" + closedPort(t)}))(t)
		}, wantClass: ClassConnect, wantPhase: "connect", wantExit: 3},
	})
}

func TestKafkaProbe(t *testing.T) {
	k := must(probeserver.StartKafka())(t)
	defer k.Stop()
	addr := strings.TrimPrefix(k.URL, "kafka://")
	// Records another producer wrote before the probe's.
	produceWithClient(t, addr, "busy", kgo.NoCompression(), "one", "two", "three")
	runBrokerCases(t, []brokerCase{
		{name: "produce and fetch", count: 2, prober: func(t *testing.T) Prober {
			return must(NewKafka(KafkaOptions{URL: k.URL, Topic: "probe-test", Payload: []byte("hello")}))(t)
		}, check: func(t *testing.T, rs []*Result) {
			wantPhases(t, rs[0], "connect", "publish", "roundtrip")
			// The second probe reuses the connection.
			wantPhases(t, rs[1], "publish", "roundtrip")
			if rs[0].Reused || !rs[1].Reused {
				t.Errorf("reused = %v then %v", rs[0].Reused, rs[1].Reused)
			}
			if *rs[1].Broker.Offset != *rs[0].Broker.Offset+1 || *rs[0].Broker.Partition != 0 {
				t.Errorf("partition %d, offsets %d then %d", *rs[0].Broker.Partition, *rs[0].Broker.Offset, *rs[1].Broker.Offset)
			}
			want(t, "status", rs[1].Status, "received")
			want(t, "remote", rs[0].RemoteAddr, addr)
			wantBody(t, rs[1], rs[1].Broker.MessageID+" hello")
			// Another client reads the probe's record as written.
			rec := fetchWithClient(t, addr, "probe-test", *rs[0].Broker.Offset)
			if string(rec.Key) != "msctl-probe" || string(rec.Value) != string(rs[0].Body) ||
				rec.Timestamp.Before(rs[0].Time.Add(-time.Minute)) || rec.Timestamp.After(time.Now()) {
				t.Errorf("record key %q value %q at %v", rec.Key, rec.Value, rec.Timestamp)
			}
			// The topic did not exist: the probe had the broker create it.
			if l := k.Cluster().LeaderFor("probe-test", 0); l < 0 {
				t.Errorf("topic probe-test not created (leader %d)", l)
			}
		}},
		{name: "records before the probe's", prober: func(t *testing.T) Prober {
			return must(NewKafka(KafkaOptions{URL: k.URL, Topic: "busy"}))(t)
		}, check: func(t *testing.T, rs []*Result) {
			// Fetching from the acknowledged offset, the earlier
			// records are neither taken for the probe's nor counted.
			if *rs[0].Broker.Offset != 3 || rs[0].Broker.Skipped != 0 {
				t.Errorf("offset %d, skipped %d; want 3, 0", *rs[0].Broker.Offset, rs[0].Broker.Skipped)
			}
		}},
		{name: "second seed answers", prober: func(t *testing.T) Prober {
			return must(NewKafka(KafkaOptions{URL: "kafka://127.0.0.1:" + closedPort(t) + "," + addr}))(t)
		}, check: func(t *testing.T, rs []*Result) { want(t, "remote", rs[0].RemoteAddr, addr) }},
		{name: "nothing listens", prober: func(t *testing.T) Prober {
			return must(NewKafka(KafkaOptions{URL: "kafka://127.0.0.1:" + closedPort(t)}))(t)
		}, wantClass: ClassConnect, wantPhase: "connect", wantExit: 3},
		{name: "no seed listens", prober: func(t *testing.T) Prober {
			return must(NewKafka(KafkaOptions{URL: "kafka://127.0.0.1:" + closedPort(t) + ",127.0.0.1:" + closedPort(t)}))(t)
		}, wantClass: ClassConnect, wantPhase: "connect", wantExit: 3, check: func(t *testing.T, rs []*Result) {
			if strings.Count(rs[0].Error, "connection refused") != 2 || strings.Contains(rs[0].Error, "\n") {
				t.Errorf("error %q: want both seeds' errors on one line", rs[0].Error)
			}
		}},
	})
}

func TestAMQPProbe(t *testing.T) {
	rmq := testserver.StartRabbitMQ(t)
	runBrokerCases(t, []brokerCase{
		{name: "temporary queue", count: 2, prober: func(t *testing.T) Prober { return must(NewAMQP(AMQPOptions{URL: rmq.URL}))(t) },
			check: func(t *testing.T, rs []*Result) {
				wantPhases(t, rs[0], "connect", "subscribe", "publish", "roundtrip")
				wantPhases(t, rs[1], "publish", "roundtrip")
				if !strings.HasPrefix(rs[0].Broker.Destination, "amq.gen-") {
					t.Errorf("destination %q", rs[0].Broker.Destination)
				}
			}},
		{name: "through an exchange", prober: func(t *testing.T) Prober {
			return must(NewAMQP(AMQPOptions{URL: rmq.URL, Exchange: "amq.topic", RoutingKey: "orders.probe"}))(t)
		}, check: func(t *testing.T, rs []*Result) {
			want(t, "destination", rs[0].Broker.Destination, "amq.topic/orders.probe")
		}},
		{name: "missing exchange", prober: func(t *testing.T) Prober {
			return must(NewAMQP(AMQPOptions{URL: rmq.URL, Exchange: "no-such-exchange", RoutingKey: "x"}))(t)
		}, wantClass: ClassStatus, wantPhase: "subscribe", wantExit: 1,
			check: func(t *testing.T, rs []*Result) { wantErr(t, rs[0], "NOT_FOUND") }},
		{name: "wrong password", prober: func(t *testing.T) Prober {
			return must(NewAMQP(AMQPOptions{URL: strings.Replace(rmq.URL, "guest:guest", "guest:nope", 1)}))(t)
		}, wantClass: ClassStatus, wantPhase: "connect", wantExit: 1},
		{name: "nothing listens", prober: func(t *testing.T) Prober {
			return must(NewAMQP(AMQPOptions{URL: "amqp://guest:guest@127.0.0.1:" + closedPort(t) + "/"}))(t)
		}, wantClass: ClassConnect, wantPhase: "connect", wantExit: 3},
	})
}
