package probeserver

import (
	"fmt"
	"strings"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/twmb/franz-go/pkg/kfake"
)

// NATS is an embedded NATS server (github.com/nats-io/nats-server/v2) on a
// free loopback port.
type NATS struct {
	URL string
	srv *natsserver.Server
}

// StartNATS starts the server; Stop stops it.
func StartNATS() (*NATS, error) {
	s, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		return nil, err
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("nats-server not ready within 10s")
	}
	return &NATS{URL: s.ClientURL(), srv: s}, nil
}

// Stop shuts the server down.
func (n *NATS) Stop() { n.srv.Shutdown() }

// Kafka is an in-process Kafka cluster (franz-go's kfake) that creates
// topics on first use.
type Kafka struct {
	// URL is kafka://HOST:PORT,HOST:PORT.
	URL string
	c   *kfake.Cluster
}

// StartKafka starts a one-broker cluster; Stop stops it.
func StartKafka() (*Kafka, error) {
	return StartKafkaWith(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
}

// StartKafkaWith starts a cluster with exactly opts (several brokers,
// old protocol versions, no topic auto-creation...).
func StartKafkaWith(opts ...kfake.Opt) (*Kafka, error) {
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, err
	}
	return &Kafka{URL: "kafka://" + strings.Join(c.ListenAddrs(), ","), c: c}, nil
}

// Cluster is the kfake cluster, to steer it (move leaders, intercept
// requests).
func (k *Kafka) Cluster() *kfake.Cluster { return k.c }

// Stop closes the cluster.
func (k *Kafka) Stop() { k.c.Close() }
