package probe

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// stompFrame is one STOMP 1.2 frame. No STOMP client library is available
// to msctl, and the framing is small: a command line, header lines, a
// blank line, the body and a NUL byte.
type stompFrame struct {
	Command string
	Headers [][2]string // in order; the first of a repeated header wins
	Body    []byte
}

// Header returns the first value of a header.
func (f *stompFrame) Header(name string) string {
	for _, h := range f.Headers {
		if h[0] == name {
			return h[1]
		}
	}
	return ""
}

var (
	stompEscaper   = strings.NewReplacer("\\", "\\\\", "\r", "\\r", "\n", "\\n", ":", "\\c")
	stompUnescaper = strings.NewReplacer("\\\\", "\\", "\\r", "\r", "\\n", "\n", "\\c", ":")
)

// writeStompFrame encodes f. CONNECT headers are not escaped (STOMP 1.2
// says so, for 1.0 brokers).
func writeStompFrame(w io.Writer, f *stompFrame) error {
	var b bytes.Buffer
	b.WriteString(f.Command)
	b.WriteByte('\n')
	esc := func(s string) string {
		if f.Command == "CONNECT" {
			return s
		}
		return stompEscaper.Replace(s)
	}
	for _, h := range f.Headers {
		fmt.Fprintf(&b, "%s:%s\n", esc(h[0]), esc(h[1]))
	}
	if len(f.Body) > 0 {
		fmt.Fprintf(&b, "content-length:%d\n", len(f.Body))
	}
	b.WriteByte('\n')
	b.Write(f.Body)
	b.WriteByte(0)
	_, err := w.Write(b.Bytes())
	return err
}

// maxStompBody bounds a frame body the probe will read.
const maxStompBody = 4 << 20

// readStompFrame decodes the next frame, skipping heart-beat end-of-lines.
func readStompFrame(r *bufio.Reader) (*stompFrame, error) {
	var cmd string
	for cmd == "" {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		cmd = strings.TrimRight(line, "\r\n")
	}
	f := &stompFrame{Command: cmd}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("malformed STOMP header line %q", line)
		}
		if cmd != "CONNECTED" {
			name, value = stompUnescaper.Replace(name), stompUnescaper.Replace(value)
		}
		f.Headers = append(f.Headers, [2]string{name, value})
	}
	if cl := f.Header("content-length"); cl != "" {
		n, err := strconv.Atoi(cl)
		if err != nil || n < 0 || n > maxStompBody {
			return nil, fmt.Errorf("bad content-length %q", cl)
		}
		f.Body = make([]byte, n)
		if _, err := io.ReadFull(r, f.Body); err != nil {
			return nil, err
		}
		if b, err := r.ReadByte(); err != nil || b != 0 {
			return nil, errors.New("frame body not followed by NUL")
		}
		return f, nil
	}
	body, err := r.ReadBytes(0)
	if err != nil {
		return nil, err
	}
	if len(body) > maxStompBody {
		return nil, errors.New("frame body too large")
	}
	f.Body = body[:len(body)-1]
	return f, nil
}
