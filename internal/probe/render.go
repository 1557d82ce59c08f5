package probe

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/msctl/msctl/internal/output"
)

// Line renders a result as one line a person can read at a glance:
//
//	OK   200 OK  https://api.local/healthz  HTTP/2.0 127.0.0.1:443  dns 0.4ms  connect 0.1ms  tls 2.9ms  server 0.8ms  transfer 0.1ms  total 4.4ms
//	FAIL tls  https://expired.local/  x509: certificate has expired ...  connect 0.1ms  total 1.8ms
func Line(r *Result, st output.Style, withSeq bool) string {
	var b strings.Builder
	if withSeq {
		fmt.Fprintf(&b, "%s ", st.Faint(fmt.Sprintf("#%-3d", r.Seq)))
	}
	if r.ErrorClass == ClassNone {
		b.WriteString(st.Green("OK  "))
		if r.Status != "" {
			b.WriteString(" " + st.Bold(r.Status))
		}
	} else {
		b.WriteString(st.Red("FAIL"))
		fmt.Fprintf(&b, " %s", st.Bold(string(r.ErrorClass)))
		if r.FailedPhase != "" && r.FailedPhase != string(r.ErrorClass) {
			fmt.Fprintf(&b, " in %s", r.FailedPhase)
		}
		if r.Status != "" {
			fmt.Fprintf(&b, " (%s)", r.Status)
		}
	}
	fmt.Fprintf(&b, "  %s", r.Target)
	if g := r.GRPC; g != nil {
		fmt.Fprintf(&b, " %s", g.Verb)
		if g.Symbol != "" {
			fmt.Fprintf(&b, " %s", g.Symbol)
		}
	}
	if r.HTTP != nil && r.HTTP.Proto != "" {
		fmt.Fprintf(&b, "  %s", r.HTTP.Proto)
	}
	if r.RemoteAddr != "" && r.RemoteAddr != r.Target {
		fmt.Fprintf(&b, " %s", st.Faint(r.RemoteAddr))
	}
	if r.Reused {
		b.WriteString(st.Faint(" (reused)"))
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "  %s", st.Red(r.Error))
	}
	for _, p := range r.Phases {
		fmt.Fprintf(&b, "  %s %s", st.Faint(p.Name), fmtMS(p.DurationMS))
	}
	fmt.Fprintf(&b, "  %s %s", st.Faint("total"), st.Bold(fmtMS(r.TotalMS)))
	return b.String()
}

func fmtMS(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0fms", v)
	case v >= 10:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fms", v)
}

// WriteDetails prints the protocol details of a single probe under its
// line: response headers, TLS session and the peer's certificate chain,
// DNS answers, gRPC output.
func WriteDetails(w io.Writer, r *Result, st output.Style) {
	label := func(s string) string { return st.Faint(fmt.Sprintf("  %-10s", s)) }
	if len(r.Addresses) > 0 {
		fmt.Fprintf(w, "%s %s\n", label("addresses"), strings.Join(r.Addresses, ", "))
	}
	if h := r.HTTP; h != nil {
		if h.Redirects > 0 {
			fmt.Fprintf(w, "%s %d, ended at %s\n", label("redirects"), h.Redirects, h.URL)
		}
		keys := make([]string, 0, len(h.Headers))
		for k := range h.Headers {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%s %s: %s\n", label("header"), k, h.Headers[k])
		}
		if h.StatusCode > 0 {
			fmt.Fprintf(w, "%s %d bytes\n", label("body"), h.BodyBytes)
		}
	}
	if t := r.TLS; t != nil {
		verified := st.Green("verified")
		if !t.Verified {
			verified = st.Yellow("NOT verified (--insecure)")
		}
		alpn := ""
		if t.ALPN != "" {
			alpn = "  alpn " + t.ALPN
		}
		fmt.Fprintf(w, "%s %s %s%s  %s\n", label("tls"), t.Version, t.CipherSuite, alpn, verified)
		for i, c := range t.PeerChain {
			days := fmt.Sprintf("%d days left", c.DaysLeft)
			switch {
			case c.DaysLeft < 0:
				days = st.Red(fmt.Sprintf("expired %d days ago", -c.DaysLeft))
			case c.DaysLeft < 14:
				days = st.Yellow(days)
			}
			fmt.Fprintf(w, "%s %s  issuer %s  expires %s (%s)\n", label(fmt.Sprintf("cert[%d]", i)),
				c.Subject, c.Issuer, c.NotAfter.Format("2006-01-02"), days)
		}
	}
	if g := r.GraphQL; g != nil {
		if g.QueryType != "" {
			fmt.Fprintf(w, "%s query %s, mutation %s, subscription %s, %d types\n", label("schema"), g.QueryType, orNone(g.MutationType), orNone(g.SubscriptionType), g.Types)
		}
		for _, e := range g.Errors {
			fmt.Fprintf(w, "%s %s\n", label("error"), e)
		}
		fmt.Fprintf(w, "%s %d bytes\n", label("data"), g.DataBytes)
	}
	if th := r.Thrift; th != nil && th.MessageType != "" {
		fmt.Fprintf(w, "%s %s/%s %s -> %s", label("thrift"), th.Protocol, th.Transport, th.Method, th.MessageType)
		if th.ExceptionType != "" {
			fmt.Fprintf(w, " %s: %s (the server speaks Thrift)", th.ExceptionType, th.ExceptionMessage)
		}
		fmt.Fprintln(w)
	}
	if c := r.Corba; c != nil && c.GIOP != "" {
		fmt.Fprintf(w, "%s GIOP %s  key %s  %s", label("corba"), c.GIOP, c.ObjectKey, orNone(c.Locate))
		if c.Forwards > 0 {
			fmt.Fprintf(w, " after %d forwards", c.Forwards)
		}
		if c.Resolved != "" {
			fmt.Fprintf(w, "  resolved %s", c.Resolved)
		}
		if c.Result != nil {
			fmt.Fprintf(w, "  %s -> %t", c.Operation, *c.Result)
		}
		fmt.Fprintln(w)
	}
	if b := r.Broker; b != nil && b.Destination != "" {
		where := b.Destination
		if b.Partition != nil && b.Offset != nil {
			where += fmt.Sprintf(" partition %d offset %d", *b.Partition, *b.Offset)
		}
		fmt.Fprintf(w, "%s %s (message %s)\n", label(b.Mode), where, b.MessageID)
	}
	if ws := r.WS; ws != nil {
		if ws.Subprotocol != "" {
			fmt.Fprintf(w, "%s %s\n", label("subproto"), ws.Subprotocol)
		}
		if ws.Sent != "" {
			fmt.Fprintf(w, "%s %q\n", label("sent"), ws.Sent)
		}
		if ws.Messages > 0 {
			fmt.Fprintf(w, "%s %q (message %d)\n", label("received"), ws.Received, ws.Messages)
		}
	}
	if d := r.DNS; d != nil {
		fmt.Fprintf(w, "%s %s %s via %s\n", label("question"), r.Target, d.Type, d.Server)
		for _, a := range d.Answers {
			fmt.Fprintf(w, "%s %s\n", label("answer"), a)
		}
		for _, s := range d.SRV {
			if len(s.Addresses) > 0 {
				fmt.Fprintf(w, "%s %s:%d -> %s\n", label("srv"), s.Target, s.Port, strings.Join(s.Addresses, ", "))
			}
		}
	}
}

// SummaryTable renders a summary as a table of phases.
func SummaryTable(s *Summary) *output.Table {
	t := output.NewTable("PHASE", "MIN", "MEDIAN", "P90", "P99", "MAX")
	for _, p := range s.Phases {
		t.AddRow(p.Phase, fmtMS(p.MinMS), fmtMS(p.MedianMS), fmtMS(p.P90MS), fmtMS(p.P99MS), fmtMS(p.MaxMS))
	}
	return t
}

// SummaryHeadline is the line above the summary table.
func SummaryHeadline(s *Summary, st output.Style) string {
	head := fmt.Sprintf("--- %s: %d probes, %s, ", s.Target, s.Probes, st.Green(fmt.Sprintf("%d ok", s.OK)))
	failed := fmt.Sprintf("%d failed", s.Failed)
	if s.Failed > 0 {
		failed = st.Red(failed)
		var parts []string
		for c, n := range s.Errors {
			parts = append(parts, fmt.Sprintf("%s %d", c, n))
		}
		slices.Sort(parts)
		failed += " (" + strings.Join(parts, ", ") + ")"
	}
	return head + failed
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
