package loadtest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/msctl/msctl/internal/testserver"
)

// The HTTP/1.1 engine against net/http's server: bodies of every framing,
// headers kept for rate-limit analysis, and connections reused.
func TestH1Framing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/chunked":
			w.Header().Set("X-RateLimit-Remaining", "7")
			for i := 0; i < 3; i++ {
				fmt.Fprintf(w, "part %d\n", i)
				w.(http.Flusher).Flush()
			}
		case "/close":
			w.Header().Set("Connection", "close")
			fmt.Fprint(w, "bye")
		case "/empty":
			w.WriteHeader(204)
		case "/echo":
			w.WriteHeader(201)
			fmt.Fprintf(w, "%s %s %s", r.Method, r.Header.Get("X-A"), body)
		default:
			fmt.Fprint(w, "ok")
		}
	}))
	defer srv.Close()
	tests := []struct {
		path   string
		method string
		body   string
		code   int
		bytes  int64
	}{
		{"/", "GET", "", 200, 2},
		{"/chunked", "GET", "", 200, 21},
		{"/close", "GET", "", 200, 3},
		{"/empty", "GET", "", 204, 0},
		{"/echo", "POST", "hello", 201, len64("POST b hello")},
		{"/", "HEAD", "", 200, 0},
	}
	for _, tt := range tests {
		r, err := NewH1Requester(HTTPOptions{Targets: []HTTPTarget{{Method: tt.method, URL: srv.URL + tt.path, Header: http.Header{"X-A": {"b"}}, Body: []byte(tt.body)}}})
		if err != nil {
			t.Fatal(err)
		}
		r.KeepHeaders(true)
		for i := 0; i < 3; i++ {
			var o Outcome
			r.Do(context.Background(), &o)
			if o.Err != nil || o.Code != tt.code || o.BytesIn != tt.bytes {
				t.Errorf("%s %s #%d: code %d bytes %d err %v", tt.method, tt.path, i, o.Code, o.BytesIn, o.Err)
			}
			if tt.path == "/chunked" && o.Header.Get("X-Ratelimit-Remaining") != "7" {
				t.Errorf("headers not kept: %v", o.Header)
			}
		}
		r.Close()
	}
}

// A server that closes kept-alive connections after every second
// request: the engine resends on a fresh connection instead of failing.
func TestH1ServerClosesIdleConnections(t *testing.T) {
	addr := testserver.ServeTCP(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for n := 0; n < 2; n++ {
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if line == "\r\n" {
					break
				}
			}
			// HTTP/1.0 without keep-alive: the client must close.
			if n == 1 {
				io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	r, err := NewH1Requester(HTTPOptions{Targets: []HTTPTarget{{URL: "http://" + addr + "/"}}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; i < 10; i++ {
		var o Outcome
		r.Do(context.Background(), &o)
		if o.Err != nil || o.Code != 200 {
			t.Fatalf("request %d: %v %d", i, o.Err, o.Code)
		}
	}
}

func TestH1Malformed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.WriteString(c, "SSH-2.0-OpenSSH\r\n")
		c.Close()
	}()
	r, _ := NewH1Requester(HTTPOptions{Targets: []HTTPTarget{{URL: "http://" + ln.Addr().String() + "/"}}, Timeout: time.Second})
	defer r.Close()
	var o Outcome
	r.Do(context.Background(), &o)
	if o.Err == nil || !strings.Contains(o.Err.Error(), "malformed status line") || o.Class != TransportError {
		t.Errorf("err %v class %v", o.Err, o.Class)
	}
}

func len64(s string) int64 { return int64(len(s)) }

func TestParseTargets(t *testing.T) {
	dir := t.TempDir()
	if err := writeFile(dir+"/body.json", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	in := `# two targets
GET http://127.0.0.1:1/a
X-A: 1
X-A: 2

POST http://127.0.0.1:1/b
Content-Type: application/json
@body.json
`
	ts, err := ParseTargets(dir+"/targets.txt", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].Method != "GET" || len(ts[0].Header["X-A"]) != 2 || string(ts[1].Body) != `{"a":1}` || ts[1].Header.Get("Content-Type") != "application/json" {
		t.Errorf("targets = %+v", ts)
	}
	for _, bad := range []string{"", "get http://x/", "GET http://x/\nnot a header", "GET http://x/\n@missing"} {
		if _, err := ParseTargets(dir+"/t.txt", strings.NewReader(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

// --http2 against a cleartext server speaks h2c with prior knowledge.
func TestHTTP2Cleartext(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 {
			w.WriteHeader(http.StatusHTTPVersionNotSupported)
		}
	}))
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	srv.Start()
	defer srv.Close()
	r, err := NewHTTP(HTTPOptions{Targets: []HTTPTarget{{URL: srv.URL}}, HTTP2: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var o Outcome
	r.Do(context.Background(), &o)
	if o.Code != 200 {
		t.Errorf("code %d err %v, want 200 over HTTP/2", o.Code, o.Err)
	}
}
