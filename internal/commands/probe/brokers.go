package probe

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/cmdutil"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/output"
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

	// Kafka: TLS is on with --tls or any TLS flag; SASL with
	// --sasl-mechanism, the password read from SASLPasswordFile or the
	// environment variable SASLPasswordEnv names, never from a flag.
	UseTLS           bool
	TLS              probe.TLSOptions
	SASLMechanism    string
	SASLUser         string
	SASLPasswordFile string
	Getenv           func(string) string
}

// SASLPasswordEnv is the environment variable the Kafka probe reads the
// SASL password from when no --sasl-password-file is given.
const SASLPasswordEnv = "MSCTL_SASL_PASSWORD"

const brokerHelp = `Publish a probe message (its body starts with "msctl-probe ID") and receive
it back, timing connect (TCP and the protocol's handshake), subscribe (the
temporary subscription), publish (until the broker acknowledges, where it
does) and roundtrip (publish until the message is back). The connection
and subscription are kept across --count probes.

JSON "broker" details: destination, message_id, mode (pubsub or request),
partition and offset (Kafka: of the lowest-numbered partition),
partitions[{partition, offset}] (Kafka: every partition probed), skipped
(other messages seen first).

`

// NewBrokerCmds builds `msctl probe nats`, `amqp`, `kafka` and `stomp`.
func NewBrokerCmds(f *cmdutil.Factory, runF func(*BrokerOptions) error) []*cobra.Command {
	mk := func(kind, use, short, long, example string, flags func(*cobra.Command, *BrokerOptions)) *cobra.Command {
		opts := &BrokerOptions{CommonOptions: CommonOptions{IO: f.IOStreams}, Kind: kind, Getenv: f.Getenv}
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
			`Probe Kafka (kafka://HOST:9092[,HOST:9092...]) with franz-go's client
(kgo): connect to the first seed broker that answers (TCP, TLS, ApiVersions,
SASL), produce one record to every partition of --topic with the
idempotent producer and acks=all (phase publish, until every partition's
leader acked; the first probe also loads the topic's partitions there)
and fetch each back from its acknowledged offset (roundtrip), without
joining a consumer group. The topic is created if the cluster allows it.
Records of every compression codec are read. kgo's retries (leader moves,
lost connections) all end within --timeout.

TLS: --tls, or any of --cacert, --cert/--key, --servername, --insecure,
connects over TLS, verifying the brokers' certificates unless --insecure.
SASL: --sasl-mechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 with
--sasl-user; the password is read from --sasl-password-file or from the
environment variable MSCTL_SASL_PASSWORD, never from the command line, and is
never printed. Refused credentials are class status (exit 1).

`, `  msctl probe kafka kafka://localhost:9092
  msctl probe kafka --topic orders.probe --count 10 kafka://b1:9092,b2:9092
  MSCTL_SASL_PASSWORD=... msctl probe kafka --cacert ca.pem --sasl-mechanism SCRAM-SHA-512 --sasl-user probe kafka://b1:9093`,
			func(cmd *cobra.Command, o *BrokerOptions) {
				fl := cmd.Flags()
				fl.StringVar(&o.Topic, "topic", "msctl-probe", "topic to produce to and fetch from")
				fl.BoolVar(&o.UseTLS, "tls", false, "connect to the brokers over TLS (implied by the other TLS flags)")
				fl.StringVar(&o.TLS.ServerName, "servername", "", "TLS server name to verify, when not the broker's host")
				addTLSFlags(cmd, &o.TLS)
				fl.StringVar(&o.SASLMechanism, "sasl-mechanism", "", "SASL mechanism: "+strings.Join(probe.KafkaSASLMechanisms, ", "))
				fl.StringVar(&o.SASLUser, "sasl-user", "", "SASL user name (with --sasl-mechanism)")
				fl.StringVar(&o.SASLPasswordFile, "sasl-password-file", "", "file holding the SASL password (default $"+SASLPasswordEnv+")")
				_ = cmd.MarkFlagFilename("sasl-password-file")
				_ = cmd.RegisterFlagCompletionFunc("sasl-mechanism", cobra.FixedCompletions(probe.KafkaSASLMechanisms, cobra.ShellCompDirectiveNoFileComp))
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
		var ko probe.KafkaOptions
		if ko, err = opts.kafkaOptions(); err != nil {
			return err
		}
		ko.Payload = payload
		p, err = probe.NewKafka(ko)
	}
	if err != nil {
		return exitcode.UsageError(err, "")
	}
	return opts.report(ctx, format, ro, p, opts.TLS.Insecure)
}

// kafkaOptions turns the Kafka flags into probe options, reading the SASL
// password.
func (opts *BrokerOptions) kafkaOptions() (probe.KafkaOptions, error) {
	ko := probe.KafkaOptions{URL: opts.URL, Topic: opts.Topic}
	t := opts.TLS
	if opts.UseTLS || t.CACert != "" || t.Cert != "" || t.Key != "" || t.ServerName != "" || t.Insecure {
		ko.TLS = &t
	}
	ko.SASL = probe.KafkaSASL{Mechanism: opts.SASLMechanism, User: opts.SASLUser}
	if opts.SASLMechanism == "" {
		if opts.SASLUser != "" || opts.SASLPasswordFile != "" {
			return ko, exitcode.Usagef("--sasl-user and --sasl-password-file need --sasl-mechanism (%s)", strings.Join(probe.KafkaSASLMechanisms, ", "))
		}
		return ko, nil
	}
	if opts.SASLPasswordFile != "" {
		b, err := os.ReadFile(opts.SASLPasswordFile)
		if err != nil {
			return ko, exitcode.Usagef("reading --sasl-password-file: %v", err)
		}
		// Files written with echo end in a newline that is not part
		// of the password.
		ko.SASL.Password = strings.TrimRight(string(b), "\r\n")
	} else if opts.Getenv != nil {
		ko.SASL.Password = opts.Getenv(SASLPasswordEnv)
	}
	if ko.SASL.Password == "" {
		return ko, exitcode.Usagef("--sasl-mechanism %s needs a password: set %s or give --sasl-password-file", opts.SASLMechanism, SASLPasswordEnv)
	}
	if strings.EqualFold(opts.SASLMechanism, "PLAIN") && ko.TLS == nil {
		st := output.NewStderrStyle(opts.IO)
		fmt.Fprintln(opts.IO.ErrOut, st.Yellow("warning: SASL PLAIN without --tls sends the password in the clear"))
	}
	return ko, nil
}
