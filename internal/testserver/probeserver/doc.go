// Package probeserver starts the real servers msctl probe's tests talk to
// besides HTTP (which package testserver has, with the test CA): gRPC,
// WebSocket, GraphQL, NATS, Kafka (kfake), Thrift and ActiveMQ.
// (RabbitMQ is testserver.StartRabbitMQ, shared with msctl new.) It is
// separate from testserver so that the tests of other areas do not
// compile and link these servers.
package probeserver

import (
	"bytes"
	"sync"
)

// lockedBuffer collects a server's output from its process's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
