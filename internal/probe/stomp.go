package probe

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"time"
)

// STOMPOptions configure a STOMP probe.
type STOMPOptions struct {
	// URL is stomp://[USER:PASS@]HOST:PORT[/VHOST].
	URL string
	// Destination is where the probe sends and subscribes; default a
	// temporary queue (/temp-queue/..., which ActiveMQ and RabbitMQ give
	// each connection), so no queue is left behind.
	Destination string
	Payload     []byte
}

// STOMPProber connects, subscribes, sends a message and waits for it,
// over a new connection per probe (ending with DISCONNECT and its receipt).
type STOMPProber struct {
	opts STOMPOptions
	u    *url.URL
}

// NewSTOMP validates the options.
func NewSTOMP(o STOMPOptions) (*STOMPProber, error) {
	u, err := brokerTarget(o.URL, "stomp")
	if err != nil {
		return nil, err
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), "61613")
	}
	if o.Destination == "" {
		o.Destination = "/temp-queue/msctl-probe"
	}
	return &STOMPProber{opts: o, u: u}, nil
}

// Close does nothing: every probe has its own connection.
func (p *STOMPProber) Close() error { return nil }

// errSTOMP is an ERROR frame from the broker: it answered and refused.
type errSTOMP struct{ msg string }

func (e *errSTOMP) Error() string { return "broker sent ERROR: " + e.msg }

type stompConn struct {
	c net.Conn
	r *bufio.Reader
}

func (s *stompConn) send(cmd string, headers ...string) error {
	f := &stompFrame{Command: cmd}
	for i := 0; i+1 < len(headers); i += 2 {
		f.Headers = append(f.Headers, [2]string{headers[i], headers[i+1]})
	}
	return writeStompFrame(s.c, f)
}

// expect reads frames until one with command want (and, for RECEIPT, the
// receipt id); an ERROR frame ends the wait.
func (s *stompConn) expect(want, receipt string, skipped *int) (*stompFrame, error) {
	for {
		f, err := readStompFrame(s.r)
		if err != nil {
			return nil, err
		}
		switch {
		case f.Command == "ERROR":
			msg := f.Header("message")
			if body := strings.TrimSpace(string(f.Body)); body != "" {
				msg += ": " + body
			}
			return nil, &errSTOMP{msg: msg}
		case f.Command == want && (receipt == "" || f.Header("receipt-id") == receipt):
			return f, nil
		case skipped != nil && f.Command == "MESSAGE":
			*skipped++
		}
	}
}

// Probe runs one STOMP session.
func (p *STOMPProber) Probe(ctx context.Context) *Result {
	r := &Result{Protocol: "stomp", Target: RedactURL(p.opts.URL), StatusCode: -1}
	d := &BrokerDetails{Destination: p.opts.Destination, MessageID: newMessageID(), Mode: "pubsub"}
	r.Broker = d
	start := time.Now()
	defer func() { r.TotalMS = ms(time.Since(start)) }()
	addrs, err := resolve(ctx, net.DefaultResolver, p.u.Hostname(), r)
	if err != nil {
		return r
	}
	var s *stompConn
	err = timed(r, PhaseConnect, func() error {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(addrs[0], p.u.Port()))
		if err != nil {
			return err
		}
		r.RemoteAddr = c.RemoteAddr().String()
		if dl, ok := ctx.Deadline(); ok {
			_ = c.SetDeadline(dl)
		}
		s = &stompConn{c: c, r: bufio.NewReader(c)}
		host := strings.TrimPrefix(p.u.Path, "/")
		if host == "" {
			host = p.u.Hostname()
		}
		hdr := []string{"accept-version", "1.2,1.1,1.0", "host", host, "heart-beat", "0,0"}
		if p.u.User != nil {
			pass, _ := p.u.User.Password()
			hdr = append(hdr, "login", p.u.User.Username(), "passcode", pass)
		}
		if err := s.send("CONNECT", hdr...); err != nil {
			return err
		}
		f, err := s.expect("CONNECTED", "", nil)
		if err != nil {
			return err
		}
		r.Status = "CONNECTED " + f.Header("version")
		return nil
	})
	if s != nil {
		defer s.c.Close()
	}
	if err != nil {
		r.Fail(PhaseConnect, stompClass(err, PhaseConnect), err)
		return r
	}
	body := append([]byte("msctl-probe "+d.MessageID+" "), p.opts.Payload...)
	steps := []struct {
		phase string
		run   func() error
	}{
		{PhaseSubscribe, func() error {
			if err := s.send("SUBSCRIBE", "id", "msctl-probe", "destination", p.opts.Destination, "ack", "auto", "receipt", "sub"); err != nil {
				return err
			}
			_, err := s.expect("RECEIPT", "sub", nil)
			return err
		}},
		{PhasePublish, func() error {
			f := &stompFrame{Command: "SEND", Body: body, Headers: [][2]string{
				{"destination", p.opts.Destination}, {"content-type", "text/plain"}, {"receipt", "send"}}}
			if err := writeStompFrame(s.c, f); err != nil {
				return err
			}
			_, err := s.expect("RECEIPT", "send", nil)
			return err
		}},
		{PhaseRoundtrip, func() error {
			for {
				f, err := s.expect("MESSAGE", "", nil)
				if err != nil {
					return err
				}
				if bytes.Equal(f.Body, body) {
					r.Body = f.Body
					return nil
				}
				d.Skipped++
			}
		}},
		{PhaseClose, func() error {
			if err := s.send("DISCONNECT", "receipt", "bye"); err != nil {
				return err
			}
			_, err := s.expect("RECEIPT", "bye", &d.Skipped)
			return err
		}},
	}
	for _, st := range steps {
		if err := timed(r, st.phase, st.run); err != nil {
			r.Fail(st.phase, stompClass(err, st.phase), err)
			return r
		}
	}
	r.OK = true
	return r
}

func stompClass(err error, phase string) ErrorClass {
	var se *errSTOMP
	if errors.As(err, &se) {
		return ClassStatus
	}
	return Classify(err, phase)
}
