package probe

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/msctl/msctl/internal/testserver/probeserver"
)

func TestStompFrameRoundTrip(t *testing.T) {
	in := &stompFrame{Command: "SEND", Headers: [][2]string{{"destination", "/queue/a:b"}, {"x", "line\nbreak\\"}}, Body: []byte("with\x00nul")}
	var b bytes.Buffer
	if err := writeStompFrame(&b, in); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "destination:/queue/a\\cb\n") {
		t.Errorf("header not escaped: %q", b.String())
	}
	// Heart-beat newlines before the frame are skipped.
	out, err := readStompFrame(bufio.NewReader(bytes.NewReader(append([]byte("\n\r\n"), b.Bytes()...))))
	if err != nil {
		t.Fatal(err)
	}
	if out.Command != "SEND" || out.Header("destination") != "/queue/a:b" || out.Header("x") != "line\nbreak\\" || string(out.Body) != "with\x00nul" {
		t.Errorf("round trip = %+v", out)
	}
	// A body without content-length ends at the first NUL.
	out, err = readStompFrame(bufio.NewReader(bytes.NewReader([]byte("MESSAGE\ndestination:/q\n\nhello\x00"))))
	if err != nil || string(out.Body) != "hello" {
		t.Errorf("nul-terminated body = %q, %v", out.Body, err)
	}
	if _, err := readStompFrame(bufio.NewReader(bytes.NewReader([]byte("MESSAGE\nno-colon\n\n\x00")))); err == nil {
		t.Error("malformed header accepted")
	}
}

func TestSTOMPProbeActiveMQ(t *testing.T) {
	a := probeserver.StartActiveMQ(t)
	runBrokerCases(t, []brokerCase{
		{name: "temporary queue", count: 2, prober: func(t *testing.T) Prober { return must(NewSTOMP(STOMPOptions{URL: a.STOMPURL}))(t) },
			check: func(t *testing.T, rs []*Result) {
				wantPhases(t, rs[1], "connect", "subscribe", "publish", "roundtrip", "close")
				want(t, "status", rs[0].Status, "CONNECTED 1.2")
			}},
		{name: "named queue", prober: func(t *testing.T) Prober {
			return must(NewSTOMP(STOMPOptions{URL: a.STOMPURL, Destination: "/queue/msctl.probe.test"}))(t)
		}},
		{name: "wrong password", prober: func(t *testing.T) Prober {
			return must(NewSTOMP(STOMPOptions{URL: strings.Replace(a.STOMPURL, "secret", "wrong", 1)}))(t)
		}, wantClass: ClassStatus, wantPhase: "connect", wantExit: 1,
			check: func(t *testing.T, rs []*Result) { wantErr(t, rs[0], "broker sent ERROR") }},
		{name: "nothing listens", prober: func(t *testing.T) Prober {
			return must(NewSTOMP(STOMPOptions{URL: "stomp://127.0.0.1:" + closedPort(t)}))(t)
		}, wantClass: ClassConnect, wantPhase: "connect", wantExit: 3},
	})
}
