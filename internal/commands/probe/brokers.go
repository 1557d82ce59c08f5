package probe

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/probe"
)

// BrokerOptions are the parsed flags of `msctl probe nats|amqp|kafka|stomp`.
type BrokerOptions struct {
	CommonOptions
	Kind        string
	URL         string
	Subject     string
	Request     bool
	Queue       string
	Exchange    string
	RoutingKey  string
	Topic       string
	Destination string
	Payload     string
}

const brokerHelp = `Publish a probe message (its body starts with "msctl-probe ID") and receive
it back, timing connect (TCP and the protocol's handshake), subscribe (the
temporary subscription), publish (until the broker acknowledges, where it
does) and roundtrip (publish until the message is back). The connection
and subscription are kept across --count probes.

JSON "broker" details: destination, message_id, mode (pubsub or request),
partition and offset (Kafka), skipped (other messages seen first).

`

// NewBrokerCmds builds `msctl probe nats`, `amqp`, `kafka` and `stomp`.
func NewBrokerCmds(f *cmdutil.Factory, runF func(*BrokerOptions) error) []*cobra.Command {
	mk := func(kind, use, short, long, example string, flags func(*cobra.Command, *BrokerOptions)) *cobra.Command {
		opts := &BrokerOptions{CommonOptions: CommonOptions{IO: f.IOStreams}, Kind: kind}
		cmd := &cobra.Command{
			Use:               use,
			Short:             short,
			Long:              long + brokerHelp + ResultSchemaHelp + "\n\n" + ExitCodeHelp,
			Example:           example,
			Args:              cmdutil.ExactArgs(1, "URL"),
			ValidArgsFunction: cobra.NoFileCompletions,
			RunE: func(cmd *cobra.Command, args []string) error {
				opts.URL = args[0]
				if runF != nil {
					return runF(opts)
				}
				return RunBroker(cmd.Context(), opts)
			},
		}
		cmd.Flags().StringVar(&opts.Payload, "payload", "", "text appended to the probe message")
		flags(cmd, opts)
		addCommonFlags(cmd, &opts.CommonOptions)
		return cmd
	}
	return []*cobra.Command{
		mk("nats", "nats URL", "Probe a NATS server: publish and receive back, or request/reply",
			`Probe NATS (nats://HOST:4222). By default the probe subscribes to a
temporary subject and publishes to it; with --subject it uses that subject,
and with --request it sends a request there and waits for a responder's
reply (phase roundtrip), proving a service answers through NATS. No
responders fails with class status.

`, `  msctl probe nats nats://localhost:4222
  msctl probe nats --subject orders.health --request nats://nats.internal:4222`,
			func(cmd *cobra.Command, o *BrokerOptions) {
				cmd.Flags().StringVar(&o.Subject, "subject", "", "subject to publish to (default a temporary one)")
				cmd.Flags().BoolVar(&o.Request, "request", false, "send a request to --subject and wait for a reply")
			}),
		mk("amqp", "amqp URL", "Probe an AMQP 0-9-1 broker (RabbitMQ): publish and receive back",
			`Probe RabbitMQ or another AMQP 0-9-1 broker (amqp://USER:PASS@HOST:5672/VHOST).
The probe declares a temporary queue (exclusive, auto-delete; --queue names
it, it is never an existing queue), publishes with publisher confirms and
consumes the message back. With --exchange and --routing-key the message
goes through that exchange, bound to the temporary queue, which proves the
routing. A broker refusal (bad credentials, missing exchange) is class
status.

`, `  msctl probe amqp amqp://guest:guest@localhost:5672/
  msctl probe amqp --exchange orders --routing-key orders.created amqp://probe:secret@rabbit:5672/shop`,
			func(cmd *cobra.Command, o *BrokerOptions) {
				cmd.Flags().StringVar(&o.Queue, "queue", "", "name of the temporary queue (default server-named)")
				cmd.Flags().StringVar(&o.Exchange, "exchange", "", "exchange to publish through")
				cmd.Flags().StringVar(&o.RoutingKey, "routing-key", "", "routing key with --exchange (default the queue name)")
			}),
		mk("kafka", "kafka URL", "Probe a Kafka cluster: produce a record and fetch it back",
			`Probe Kafka (kafka://HOST:9092[,HOST:9092...]) in the Kafka protocol:
connect to the first seed broker that answers (ApiVersions), produce one
record to partition 0 of --topic with acks=all (phase publish, until
acked; the first probe also looks up the partition's leader there) and
fetch it back from the acknowledged offset (roundtrip), without joining a
consumer group. The topic is created if the cluster allows it. Plaintext
listeners only (no TLS or SASL).

`, `  msctl probe kafka kafka://localhost:9092
  msctl probe kafka --topic orders.probe --count 10 kafka://b1:9092,b2:9092`,
			func(cmd *cobra.Command, o *BrokerOptions) {
				cmd.Flags().StringVar(&o.Topic, "topic", "msctl-probe", "topic to produce to and fetch from")
			}),
		mk("stomp", "stomp URL", "Probe a STOMP broker (ActiveMQ, RabbitMQ, Artemis): send and receive back",
			`Probe a STOMP 1.2 broker (stomp://[USER:PASS@]HOST:61613[/VHOST]) with
msctl's own frame codec (no STOMP library is available): CONNECT (phase
connect), SUBSCRIBE with a receipt (subscribe), SEND with a receipt
(publish), the MESSAGE back (roundtrip) and DISCONNECT with a receipt
(close). The default destination, /temp-queue/msctl-probe, is a temporary
queue of the connection on ActiveMQ and RabbitMQ; --destination names
another. An ERROR frame (bad credentials, refused destination) is class
status. A new connection is opened for every probe.

`, `  msctl probe stomp stomp://admin:admin@activemq:61613
  msctl probe stomp --destination /queue/orders.probe stomp://localhost:61613`,
			func(cmd *cobra.Command, o *BrokerOptions) {
				cmd.Flags().StringVar(&o.Destination, "destination", "", "destination to send to and subscribe (default /temp-queue/msctl-probe)")
			}),
	}
}

// RunBroker probes the broker and prints the results.
func RunBroker(ctx context.Context, opts *BrokerOptions) error {
	format, ro, _, err := opts.runOptions()
	if err != nil {
		return err
	}
	if opts.ExpectStatus != "" {
		return exitcode.Usagef("probe %s has no --expect-status", opts.Kind)
	}
	var p probe.Prober
	payload := []byte(opts.Payload)
	switch opts.Kind {
	case "nats":
		p, err = probe.NewNATS(probe.NATSOptions{URL: opts.URL, Subject: opts.Subject, Request: opts.Request, Payload: payload})
	case "amqp":
		p, err = probe.NewAMQP(probe.AMQPOptions{URL: opts.URL, Queue: opts.Queue, Exchange: opts.Exchange, RoutingKey: opts.RoutingKey, Payload: payload})
	case "stomp":
		p, err = probe.NewSTOMP(probe.STOMPOptions{URL: opts.URL, Destination: opts.Destination, Payload: payload})
	case "kafka":
		p, err = probe.NewKafka(probe.KafkaOptions{URL: opts.URL, Topic: opts.Topic, Payload: payload})
	}
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	return opts.report(ctx, format, ro, p, false)
}
