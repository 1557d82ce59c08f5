package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/nats-io/nats.go"
)

// NATSOptions configure a NATS probe.
type NATSOptions struct {
	URL string
	// Subject is where the probe publishes; default a fresh inbox
	// subject, so only the broker itself is exercised.
	Subject string
	// Request sends a request to Subject and waits for a responder's
	// reply instead of receiving its own message.
	Request bool
	Payload []byte
}

// NATSProber publishes to a subject it subscribes to and times the round
// trip, over a connection kept across probes.
type NATSProber struct {
	opts NATSOptions
	u    *url.URL
	nc   *nats.Conn
	sub  *nats.Subscription
}

// NewNATS validates the options.
func NewNATS(o NATSOptions) (*NATSProber, error) {
	u, err := brokerTarget(o.URL, "nats", "tls")
	if err != nil {
		return nil, err
	}
	if o.Request && o.Subject == "" {
		return nil, errors.New("--request needs --subject: the subject a responder listens on")
	}
	if o.Subject == "" {
		// One temporary subject for the prober's life: the subscription
		// is made once and reused by every probe.
		o.Subject = "_MSCTL.probe." + nats.NewInbox()[len("_INBOX."):]
	}
	return &NATSProber{opts: o, u: u}, nil
}

// Close drains nothing and closes the connection.
func (p *NATSProber) Close() error {
	if p.nc != nil {
		p.nc.Close()
	}
	return nil
}

// Probe connects once, then publishes and waits for the message (or reply).
func (p *NATSProber) Probe(ctx context.Context) *Result {
	r := &Result{Protocol: "nats", Target: RedactURL(p.opts.URL), StatusCode: -1}
	d := &BrokerDetails{Destination: p.opts.Subject, MessageID: newMessageID(), Mode: "pubsub"}
	if p.opts.Request {
		d.Mode = "request"
	}
	r.Broker = d
	start := time.Now()
	defer func() { r.TotalMS = ms(time.Since(start)) }()
	if p.nc == nil {
		if !resolveHost(ctx, p.u, r) {
			return r
		}
		timeout := 10 * time.Second
		if dl, ok := ctx.Deadline(); ok {
			timeout = time.Until(dl)
		}
		err := timed(r, PhaseConnect, func() error {
			var err error
			p.nc, err = nats.Connect(p.opts.URL, nats.Timeout(timeout), nats.Name("msctl probe"), nats.NoReconnect())
			return err
		})
		if err != nil {
			p.nc = nil
			r.Fail(PhaseConnect, natsClass(err), err)
			return r
		}
	} else {
		r.Reused = true
	}
	r.RemoteAddr = p.nc.ConnectedAddr()
	subject := p.opts.Subject
	payload := append([]byte("msctl-probe "+d.MessageID+" "), p.opts.Payload...)

	if p.opts.Request {
		var reply *nats.Msg
		err := timed(r, PhaseRoundtrip, func() error {
			var err error
			reply, err = p.nc.RequestWithContext(ctx, subject, payload)
			return err
		})
		if err != nil {
			r.Fail(PhaseRoundtrip, natsClass(err), fmt.Errorf("request to %s: %w", subject, err))
			return r
		}
		r.Body = reply.Data
		r.OK, r.Status = true, "replied"
		return r
	}
	if p.sub == nil {
		if err := timed(r, PhaseSubscribe, func() error {
			var err error
			if p.sub, err = p.nc.SubscribeSync(subject); err != nil {
				return err
			}
			// The subscription must be known to the server before the
			// message is published, or the message is not delivered.
			return p.nc.FlushWithContext(ctx)
		}); err != nil {
			r.Fail(PhaseSubscribe, natsClass(err), err)
			return r
		}
	}
	err := timed(r, PhaseRoundtrip, func() error {
		if err := p.nc.Publish(subject, payload); err != nil {
			return err
		}
		for {
			m, err := p.sub.NextMsgWithContext(ctx)
			if err != nil {
				return err
			}
			if bytes.Equal(m.Data, payload) {
				r.Body = m.Data
				return nil
			}
			d.Skipped++
		}
	})
	if err != nil {
		r.Fail(PhaseRoundtrip, natsClass(err), err)
		return r
	}
	r.OK, r.Status = true, "received"
	return r
}

func natsClass(err error) ErrorClass {
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return ClassStatus
	case errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return ClassTimeout
	case errors.Is(err, nats.ErrNoServers):
		return ClassConnect
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrPermissionViolation):
		return ClassStatus
	}
	return Classify(err, PhaseConnect)
}
