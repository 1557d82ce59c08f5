package probeserver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/coder/websocket"
)

// WSServer is a WebSocket server on loopback (github.com/coder/websocket):
//
//	/echo     echoes every message back
//	/greet    sends "welcome" and "ready", then echoes
//	/silent   accepts and never sends anything
//	/plain    an ordinary HTTP page, no upgrade
type WSServer struct {
	URL string // ws://127.0.0.1:PORT
	srv *httptest.Server
}

// StartWS starts the server; Close stops it.
func StartWS() *WSServer {
	mux := http.NewServeMux()
	echo := func(ctx context.Context, c *websocket.Conn) {
		for {
			typ, msg, err := c.Read(ctx)
			if err != nil {
				return
			}
			if err := c.Write(ctx, typ, msg); err != nil {
				return
			}
		}
	}
	accept := func(w http.ResponseWriter, r *http.Request) *websocket.Conn {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"probe.v1"}})
		if err != nil {
			return nil
		}
		return c
	}
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		if c := accept(w, r); c != nil {
			defer c.CloseNow()
			echo(r.Context(), c)
		}
	})
	mux.HandleFunc("/greet", func(w http.ResponseWriter, r *http.Request) {
		if c := accept(w, r); c != nil {
			defer c.CloseNow()
			for _, m := range []string{"welcome", "ready"} {
				if c.Write(r.Context(), websocket.MessageText, []byte(m)) != nil {
					return
				}
			}
			echo(r.Context(), c)
		}
	})
	mux.HandleFunc("/silent", func(w http.ResponseWriter, r *http.Request) {
		if c := accept(w, r); c != nil {
			defer c.CloseNow()
			// Read only to answer pings and the close handshake.
			for {
				if _, _, err := c.Read(r.Context()); err != nil {
					return
				}
			}
		}
	})
	mux.HandleFunc("/plain", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("not a websocket\n"))
	})
	s := httptest.NewServer(mux)
	return &WSServer{URL: "ws" + strings.TrimPrefix(s.URL, "http"), srv: s}
}

// Close stops the server.
func (s *WSServer) Close() { s.srv.Close() }
