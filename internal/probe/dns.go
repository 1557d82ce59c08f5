package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// PhaseQuery is the DNS exchange: question sent until the answer arrived.
const PhaseQuery = "query"

// DNSTypes are the record types `probe dns` asks for.
var DNSTypes = []string{"A", "AAAA", "SRV", "CNAME", "TXT", "NS", "MX"}

// DNSOptions configure a DNS probe.
type DNSOptions struct {
	Name   string
	Type   string // one of DNSTypes; default A
	Server string // HOST:PORT or HOST (port 53); default the first nameserver of /etc/resolv.conf
	TCP    bool   // query over TCP instead of UDP
	// ExpectStatus decides which response codes pass; default NOERROR
	// with at least one answer.
	ExpectStatus StatusMatcher
}

// DNSDetails are the DNS-specific fields of a Result.
type DNSDetails struct {
	Server  string   `json:"server"`
	Type    string   `json:"type"`
	Rcode   string   `json:"rcode"`
	Answers []string `json:"answers"`
	// SRV lists the SRV answers with the addresses the server added for
	// their targets (Consul and Kubernetes DNS send them along).
	SRV []SRVRecord `json:"srv,omitempty"`
}

// SRVRecord is one SRV answer.
type SRVRecord struct {
	Target    string   `json:"target"`
	Port      uint16   `json:"port"`
	Priority  uint16   `json:"priority"`
	Weight    uint16   `json:"weight"`
	Addresses []string `json:"addresses,omitempty"`
}

// DNSProber sends one query per probe with github.com/miekg/dns.
type DNSProber struct {
	opts   DNSOptions
	qtype  uint16
	client *dns.Client
}

// NewDNS validates the options; an empty server is read from
// /etc/resolv.conf.
func NewDNS(o DNSOptions) (*DNSProber, error) {
	if o.Name == "" {
		return nil, errors.New("empty name")
	}
	if o.Type == "" {
		o.Type = "A"
	}
	o.Type = strings.ToUpper(o.Type)
	qtype, ok := dns.StringToType[o.Type]
	if !ok || !contains(DNSTypes, o.Type) {
		return nil, fmt.Errorf("invalid --type %q: use one of %s", o.Type, strings.Join(DNSTypes, ", "))
	}
	if o.Server == "" {
		cfg, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil || len(cfg.Servers) == 0 {
			return nil, fmt.Errorf("no --server given and none found in /etc/resolv.conf")
		}
		o.Server = net.JoinHostPort(cfg.Servers[0], cfg.Port)
	} else if _, _, err := net.SplitHostPort(o.Server); err != nil {
		o.Server = net.JoinHostPort(o.Server, "53")
	}
	c := &dns.Client{Net: "udp"}
	if o.TCP {
		c.Net = "tcp"
	}
	return &DNSProber{opts: o, qtype: qtype, client: c}, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Close does nothing: every query stands alone.
func (p *DNSProber) Close() error { return nil }

// Probe asks the question once.
func (p *DNSProber) Probe(ctx context.Context) *Result {
	r := &Result{Protocol: "dns", Target: p.opts.Name, RemoteAddr: p.opts.Server, StatusCode: -1}
	d := &DNSDetails{Server: p.opts.Server, Type: p.opts.Type, Answers: []string{}}
	r.DNS = d
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(p.opts.Name), p.qtype)
	m.RecursionDesired = true
	start := time.Now()
	in, rtt, err := p.client.ExchangeContext(ctx, m, p.opts.Server)
	total := time.Since(start)
	r.TotalMS = ms(total)
	if err != nil {
		r.addPhase(PhaseQuery, total)
		r.Fail(PhaseQuery, Classify(err, PhaseQuery), err)
		return r
	}
	r.addPhase(PhaseQuery, rtt)
	d.Rcode = dns.RcodeToString[in.Rcode]
	r.Status, r.StatusCode = d.Rcode, in.Rcode
	extra := map[string][]string{}
	for _, rr := range in.Extra {
		switch a := rr.(type) {
		case *dns.A:
			extra[a.Hdr.Name] = append(extra[a.Hdr.Name], a.A.String())
		case *dns.AAAA:
			extra[a.Hdr.Name] = append(extra[a.Hdr.Name], a.AAAA.String())
		}
	}
	var body strings.Builder
	for _, rr := range in.Answer {
		s := strings.ReplaceAll(rr.String(), "\t", " ")
		d.Answers = append(d.Answers, s)
		body.WriteString(s + "\n")
		switch a := rr.(type) {
		case *dns.A:
			r.Addresses = append(r.Addresses, a.A.String())
		case *dns.AAAA:
			r.Addresses = append(r.Addresses, a.AAAA.String())
		case *dns.SRV:
			d.SRV = append(d.SRV, SRVRecord{Target: a.Target, Port: a.Port, Priority: a.Priority, Weight: a.Weight, Addresses: extra[a.Target]})
			for _, ip := range extra[a.Target] {
				r.Addresses = append(r.Addresses, net.JoinHostPort(ip, fmt.Sprint(a.Port)))
			}
		}
	}
	r.Body = []byte(body.String())
	r.OK = true
	pass := p.opts.ExpectStatus.Match(in.Rcode, d.Rcode, func(c int) bool { return c == dns.RcodeSuccess })
	switch {
	case !pass:
		r.Fail(PhaseQuery, ClassStatus, fmt.Errorf("rcode %s, want %s", d.Rcode, p.opts.ExpectStatus.Describe("NOERROR")))
	case len(p.opts.ExpectStatus) == 0 && len(in.Answer) == 0:
		r.Fail(PhaseQuery, ClassStatus, fmt.Errorf("no %s records for %s", p.opts.Type, p.opts.Name))
	}
	return r
}
