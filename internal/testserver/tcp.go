package testserver

import (
	"net"
	"testing"
)

// ServeTCP listens on a free loopback port and runs serve for each
// connection it accepts, closing the connection when serve returns; it
// stops when the test ends. It stands in for a peer that misbehaves at the
// byte level: one that never answers, answers in another protocol, or
// closes early. It returns the listener's address.
func ServeTCP(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}
