package testserver

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// HTTPFixture is a set of real loopback HTTP servers for probe tests, all
// serving HTTPHandler: cleartext (HTTP/1.1 and h2c), TLS with a valid
// certificate (HTTP/1.1 and HTTP/2), an expired certificate, a certificate
// for another host, and one that requires a client certificate.
type HTTPFixture struct {
	CA                *CA
	Client            *Leaf // a client certificate the mTLS server accepts
	Plain, Valid      string
	Expired, WrongHst string
	MTLS              string
	servers           []*httptest.Server
}

// StartHTTPFixture starts the servers; Close stops them.
func StartHTTPFixture() (*HTTPFixture, error) {
	ca, err := NewCA("msctl test CA")
	if err != nil {
		return nil, err
	}
	loop := []net.IP{net.ParseIP("127.0.0.1")}
	valid, err := ca.Issue(LeafOptions{CommonName: "localhost", DNSNames: []string{"localhost"}, IPs: loop})
	if err != nil {
		return nil, err
	}
	expired, err := ca.Issue(LeafOptions{CommonName: "localhost", DNSNames: []string{"localhost"}, IPs: loop,
		NotBefore: time.Now().Add(-60 * 24 * time.Hour), NotAfter: time.Now().Add(-48 * time.Hour)})
	if err != nil {
		return nil, err
	}
	wrong, err := ca.Issue(LeafOptions{CommonName: "other.example", DNSNames: []string{"other.example"}})
	if err != nil {
		return nil, err
	}
	client, err := ca.Issue(LeafOptions{CommonName: "probe-client", Client: true})
	if err != nil {
		return nil, err
	}
	fx := &HTTPFixture{CA: ca, Client: client}
	start := func(cfg *tls.Config) string {
		s := httptest.NewUnstartedServer(HTTPHandler())
		s.EnableHTTP2 = true
		// Failed handshakes are what the tests provoke; keep them quiet.
		s.Config.ErrorLog = log.New(io.Discard, "", 0)
		fx.servers = append(fx.servers, s)
		if cfg == nil {
			p := new(http.Protocols)
			p.SetHTTP1(true)
			p.SetUnencryptedHTTP2(true)
			s.Config.Protocols = p
			s.Start()
			return s.URL
		}
		s.TLS = cfg
		s.StartTLS()
		return s.URL
	}
	fx.Plain = start(nil)
	fx.Valid = start(&tls.Config{Certificates: []tls.Certificate{valid.TLS}})
	fx.Expired = start(&tls.Config{Certificates: []tls.Certificate{expired.TLS}})
	fx.WrongHst = start(&tls.Config{Certificates: []tls.Certificate{wrong.TLS}})
	fx.MTLS = start(&tls.Config{Certificates: []tls.Certificate{valid.TLS},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool()})
	return fx, nil
}

// Close stops every server.
func (fx *HTTPFixture) Close() {
	for _, s := range fx.servers {
		s.Close()
	}
}

// HTTPHandler is what the fixture serves:
//
//	/                 200 "hello from msctl test server"
//	/status/CODE      that status
//	/redirect/N       N redirects, then /
//	/echo             the method, X-Probe header and body echoed back
//	/sleep?d=DUR      waits DUR before answering
//	/hangup           closes the connection without answering
func HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "hello from msctl test server\n")
	})
	mux.HandleFunc("/status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(r.PathValue("code"))
		if err != nil || code < 100 || code > 999 {
			http.Error(w, "bad code", http.StatusBadRequest)
			return
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "status %d\n", code)
	})
	mux.HandleFunc("/redirect/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n <= 1 {
			http.Redirect(w, r, "/", http.StatusFound)
			return
		}
		http.Redirect(w, r, "/redirect/"+strconv.Itoa(n-1), http.StatusFound)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "method=%s proto=%s x-probe=%s body=%s\n", r.Method, r.Proto, r.Header.Get("X-Probe"), strings.TrimSpace(string(b)))
	})
	mux.HandleFunc("/sleep", func(w http.ResponseWriter, r *http.Request) {
		d, _ := time.ParseDuration(r.URL.Query().Get("d"))
		select {
		case <-time.After(min(d, 30*time.Second)):
		case <-r.Context().Done():
		}
		io.WriteString(w, "slept\n")
	})
	mux.HandleFunc("/hangup", func(w http.ResponseWriter, r *http.Request) {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	})
	return mux
}
