package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// AMQPOptions configure an AMQP 0-9-1 (RabbitMQ) probe.
type AMQPOptions struct {
	URL string
	// Queue names the temporary (exclusive, auto-delete) queue the probe
	// declares and consumes; default a server-named one. It is never an
	// existing queue: consuming from one would steal its messages.
	Queue string
	// Exchange and RoutingKey route the probe message through an
	// exchange the temporary queue is bound to; default the default
	// exchange straight to the queue.
	Exchange, RoutingKey string
	Payload              []byte
}

// AMQPProber publishes to its temporary queue (through an exchange when
// asked) and times the round trip, with publisher confirms.
type AMQPProber struct {
	opts     AMQPOptions
	u        *url.URL
	conn     *amqp.Connection
	ch       *amqp.Channel
	queue    string
	delivery <-chan amqp.Delivery
	confirms chan amqp.Confirmation
}

// NewAMQP validates the options.
func NewAMQP(o AMQPOptions) (*AMQPProber, error) {
	u, err := brokerTarget(o.URL, "amqp", "amqps")
	if err != nil {
		return nil, err
	}
	if o.RoutingKey != "" && o.Exchange == "" {
		return nil, errors.New("--routing-key goes with --exchange")
	}
	return &AMQPProber{opts: o, u: u}, nil
}

// Close closes the channel and connection; the queue goes with them.
func (p *AMQPProber) Close() error {
	if p.conn != nil {
		return p.conn.Close()
	}
	return nil
}

func (p *AMQPProber) setup(ctx context.Context, r *Result) bool {
	if !resolveHost(ctx, p.u, r) {
		return false
	}
	cfg := amqp.Config{Properties: amqp.Table{"connection_name": "msctl probe"}, Dial: amqp.DefaultDial(10 * time.Second)}
	if dl, ok := ctx.Deadline(); ok {
		cfg.Dial = amqp.DefaultDial(time.Until(dl))
	}
	err := timed(r, PhaseConnect, func() error {
		var err error
		if p.conn, err = amqp.DialConfig(p.opts.URL, cfg); err != nil {
			return err
		}
		r.RemoteAddr = p.conn.RemoteAddr().String()
		p.ch, err = p.conn.Channel()
		return err
	})
	if err != nil {
		r.Fail(PhaseConnect, amqpClass(err), err)
		p.Close()
		p.conn = nil
		return false
	}
	err = timed(r, PhaseSubscribe, func() error {
		q, err := p.ch.QueueDeclare(p.opts.Queue, false, true, true, false, nil)
		if err != nil {
			return fmt.Errorf("declaring the temporary queue: %w", err)
		}
		p.queue = q.Name
		if p.opts.Exchange != "" {
			if err := p.ch.QueueBind(q.Name, p.routingKey(), p.opts.Exchange, false, nil); err != nil {
				return fmt.Errorf("binding to exchange %s: %w", p.opts.Exchange, err)
			}
		}
		if err := p.ch.Confirm(false); err != nil {
			return err
		}
		p.confirms = p.ch.NotifyPublish(make(chan amqp.Confirmation, 1))
		p.delivery, err = p.ch.Consume(q.Name, "msctl-probe", true, true, false, false, nil)
		return err
	})
	if err != nil {
		r.Fail(PhaseSubscribe, amqpClass(err), err)
		p.Close()
		p.conn = nil
		return false
	}
	return true
}

func (p *AMQPProber) routingKey() string {
	if p.opts.RoutingKey != "" {
		return p.opts.RoutingKey
	}
	return p.queue
}

// Probe publishes one message and waits for it on the temporary queue.
func (p *AMQPProber) Probe(ctx context.Context) *Result {
	r := &Result{Protocol: "amqp", Target: RedactURL(p.opts.URL), StatusCode: -1}
	d := &BrokerDetails{MessageID: newMessageID(), Mode: "pubsub"}
	r.Broker = d
	start := time.Now()
	defer func() { r.TotalMS = ms(time.Since(start)) }()
	if p.conn == nil {
		if !p.setup(ctx, r) {
			return r
		}
	} else {
		r.Reused, r.RemoteAddr = true, p.conn.RemoteAddr().String()
	}
	d.Destination = p.queue
	if p.opts.Exchange != "" {
		d.Destination = p.opts.Exchange + "/" + p.routingKey()
	}
	body := append([]byte("msctl-probe "+d.MessageID+" "), p.opts.Payload...)
	t0 := time.Now()
	err := timed(r, PhasePublish, func() error {
		err := p.ch.PublishWithContext(ctx, p.opts.Exchange, p.routingKey(), true, false,
			amqp.Publishing{ContentType: "text/plain", MessageId: d.MessageID, Body: body})
		if err != nil {
			return err
		}
		select {
		case c, ok := <-p.confirms:
			if !ok {
				return errors.New("channel closed before the broker confirmed")
			}
			if !c.Ack {
				return errors.New("the broker refused the message (nack)")
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	if err != nil {
		r.Fail(PhasePublish, amqpClass(err), err)
		return r
	}
	for {
		select {
		case m, ok := <-p.delivery:
			if !ok {
				r.addPhase(PhaseRoundtrip, time.Since(t0))
				r.Fail(PhaseRoundtrip, ClassProtocol, errors.New("the broker closed the consumer"))
				return r
			}
			if !bytes.Equal(m.Body, body) {
				d.Skipped++
				continue
			}
			r.addPhase(PhaseRoundtrip, time.Since(t0))
			r.Body = m.Body
			r.OK, r.Status = true, "received"
			return r
		case <-ctx.Done():
			r.addPhase(PhaseRoundtrip, time.Since(t0))
			r.Fail(PhaseRoundtrip, ClassTimeout, fmt.Errorf("message not received back on %s: %w (is the exchange routing it to the queue?)", d.Destination, ctx.Err()))
			return r
		}
	}
}

func amqpClass(err error) ErrorClass {
	var ae *amqp.Error
	if errors.As(err, &ae) {
		// 403 ACCESS_REFUSED, 404 NOT_FOUND, 405 RESOURCE_LOCKED...: the
		// broker answered and said no.
		return ClassStatus
	}
	if errors.Is(err, amqp.ErrSASL) || errors.Is(err, amqp.ErrCredentials) || errors.Is(err, amqp.ErrVhost) {
		return ClassStatus
	}
	return Classify(err, PhaseConnect)
}
