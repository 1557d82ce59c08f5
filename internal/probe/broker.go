package probe

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"time"
)

// The message-broker phases: "connect" covers TCP and the protocol's own
// handshake; "subscribe" sets up the temporary subscription; "publish"
// waits for the broker's acknowledgement where the protocol has one;
// "roundtrip" runs from publishing until the message comes back.
const (
	PhaseSubscribe = "subscribe"
	PhasePublish   = "publish"
	PhaseRoundtrip = "roundtrip"
)

// BrokerDetails are the fields a broker probe adds to a Result.
type BrokerDetails struct {
	// Destination is the subject (NATS), queue or exchange/routing key
	// (AMQP) or topic (Kafka) the probe message went through.
	Destination string `json:"destination"`
	MessageID   string `json:"message_id"`
	// Mode is "pubsub" (publish and receive on a temporary subscription)
	// or "request" (NATS request/reply to a responder).
	Mode string `json:"mode"`
	// Partition and Offset are where the probe message went (Kafka: the
	// lowest-numbered partition of the topic); Partitions lists every
	// partition a Kafka probe produced to and fetched from.
	Partition  *int32            `json:"partition,omitempty"`
	Offset     *int64            `json:"offset,omitempty"`
	Partitions []PartitionOffset `json:"partitions,omitempty"`
	// Skipped counts other messages seen before the probe's own.
	Skipped int `json:"skipped"`
}

// PartitionOffset is the offset a partition's leader acknowledged for
// the probe record.
type PartitionOffset struct {
	Partition int32 `json:"partition"`
	Offset    int64 `json:"offset"`
}

// newMessageID makes a probe message's unique id, so that the probe
// recognizes its own message among others on a shared destination.
func newMessageID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// brokerTarget parses a broker URL for its host (to time and record DNS)
// and checks its scheme.
func brokerTarget(raw string, schemes ...string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err == nil && u.Host != "" {
		for _, s := range schemes {
			if u.Scheme == s {
				return u, nil
			}
		}
	}
	return nil, fmt.Errorf("invalid URL %q: want %s://HOST:PORT", raw, schemes[0])
}

// resolveHost times the DNS lookup of a broker URL's host (a no-op for IP
// addresses) and fails r when the name does not resolve.
func resolveHost(ctx context.Context, u *url.URL, r *Result) bool {
	_, err := resolve(ctx, net.DefaultResolver, u.Hostname(), r)
	return err == nil
}

// timed runs f and records its duration as phase.
func timed(r *Result, phase string, f func() error) error {
	t := time.Now()
	err := f()
	r.addPhase(phase, time.Since(t))
	return err
}
