package probe

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/msctl/msctl/internal/buildinfo"
)

// The Kafka wire protocol, spoken over msctl's own connection with
// franz-go's generated message types (kmsg) rather than its client (kgo):
// the client links compression codecs and builds CRC tables at package
// init, which every msctl invocation would pay for; kmsg costs nothing
// until a probe runs.

// kafkaMaxResponse bounds a response read from a broker (kgo's default
// is 100 MiB; a probe fetches one small record, but a broker returns at
// least one whole batch, whatever its size).
const kafkaMaxResponse = 64 << 20

// errKafkaProtocol marks replies that do not follow the Kafka protocol.
var errKafkaProtocol = errors.New("kafka protocol error")

// castagnoli is hash/crc32's Castagnoli table, made on first use: making
// it costs about a million instructions, which msctl must not pay at
// start-up for a probe it usually does not run.
var castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

// kafkaConn is one connection to one broker, used for one request at a
// time.
type kafkaConn struct {
	addr string
	nc   net.Conn
	br   *bufio.Reader
	f    *kmsg.RequestFormatter
	corr int32
	buf  []byte
	// minV and maxV are the versions the broker supports per request key,
	// from ApiVersions.
	minV, maxV map[int16]int16
	// broken is set when a request failed half-way: the stream is out of
	// step and the connection must not be used again.
	broken bool
}

// dialKafka connects to addr and asks the broker which request versions
// it speaks.
func dialKafka(ctx context.Context, d *net.Dialer, addr string) (*kafkaConn, error) {
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &kafkaConn{addr: addr, nc: nc, br: bufio.NewReader(nc),
		f: kmsg.NewRequestFormatter(kmsg.FormatterClientID("msctl-probe"))}
	if err := c.apiVersions(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("kafka handshake with %s: %w", addr, err)
	}
	return c, nil
}

func (c *kafkaConn) close() {
	if c != nil {
		c.nc.Close()
	}
}

// apiVersions runs the ApiVersions handshake. A broker that does not
// know the version asked for answers with UNSUPPORTED_VERSION in the v0
// layout and, since KIP-511, the version it does speak.
func (c *kafkaConn) apiVersions(ctx context.Context) error {
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName = "msctl"
	req.ClientSoftwareVersion = softwareVersion(buildinfo.Get().Version)
	v := req.MaxVersion()
	for range 3 {
		req.SetVersion(v)
		// ApiVersions responses always have the v0 header, whatever
		// the request's version (KIP-511).
		raw, err := c.roundTrip(ctx, req, false)
		if err != nil {
			return err
		}
		resp := req.ResponseKind().(*kmsg.ApiVersionsResponse)
		if len(raw) >= 2 && binary.BigEndian.Uint16(raw) == uint16(kerr.UnsupportedVersion.Code) && v > 0 {
			resp.SetVersion(0)
			if err := resp.ReadFrom(raw); err != nil {
				return fmt.Errorf("%w: reading ApiVersions response: %v", errKafkaProtocol, err)
			}
			if len(resp.ApiKeys) == 0 {
				v = 0
				continue
			}
			if len(resp.ApiKeys) == 1 && resp.ApiKeys[0].ApiKey == kmsg.ApiVersions.Int16() {
				if mv := resp.ApiKeys[0].MaxVersion; mv >= 0 && mv < v {
					v = mv
					continue
				}
				return fmt.Errorf("%w: broker refused ApiVersions v%d but offers v%d", errKafkaProtocol, v, resp.ApiKeys[0].MaxVersion)
			}
			// The broker listed every key: use them.
		} else if err := resp.ReadFrom(raw); err != nil {
			return fmt.Errorf("%w: reading ApiVersions response: %v", errKafkaProtocol, err)
		} else if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return fmt.Errorf("ApiVersions: %w", err)
		}
		c.minV, c.maxV = map[int16]int16{}, map[int16]int16{}
		for _, k := range resp.ApiKeys {
			c.minV[k.ApiKey], c.maxV[k.ApiKey] = k.MinVersion, k.MaxVersion
		}
		return nil
	}
	return fmt.Errorf("%w: no ApiVersions version agreed", errKafkaProtocol)
}

// softwareVersion makes a version string fit KIP-511's pattern
// [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?.
func softwareVersion(v string) string {
	v = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, v)
	v = strings.Trim(v, ".-")
	if v == "" {
		return "unknown"
	}
	return v
}

// request sends req at the highest version both sides speak, at most
// hi (-1: no limit beyond kmsg's) and at least lo (older versions lack
// what the probe needs), and decodes the response.
func (c *kafkaConn) request(ctx context.Context, req kmsg.Request, lo, hi int16) (kmsg.Response, error) {
	key := kmsg.Key(req.Key())
	bmax, ok := c.maxV[req.Key()]
	if !ok {
		return nil, fmt.Errorf("%w: broker %s does not support %s requests", errKafkaProtocol, c.addr, key.Name())
	}
	v := min(req.MaxVersion(), bmax)
	if hi >= 0 {
		v = min(v, hi)
	}
	if v < lo {
		return nil, fmt.Errorf("%w: broker %s speaks %s up to v%d; the probe needs v%d or later (Kafka 0.11 and later)", errKafkaProtocol, c.addr, key.Name(), v, lo)
	}
	if v < c.minV[req.Key()] {
		return nil, fmt.Errorf("%w: broker %s requires %s v%d or later, msctl speaks up to v%d", errKafkaProtocol, c.addr, key.Name(), c.minV[req.Key()], v)
	}
	req.SetVersion(v)
	raw, err := c.roundTrip(ctx, req, req.IsFlexible())
	if err != nil {
		return nil, err
	}
	resp := req.ResponseKind()
	resp.SetVersion(v)
	if err := resp.ReadFrom(raw); err != nil {
		c.broken = true
		return nil, fmt.Errorf("%w: reading %s v%d response: %v", errKafkaProtocol, key.Name(), v, err)
	}
	return resp, nil
}

// roundTrip writes req and reads its response body (after the response
// header). The request honours ctx: its deadline becomes the
// connection's, and cancelling it interrupts the read.
func (c *kafkaConn) roundTrip(ctx context.Context, req kmsg.Request, flexibleHeader bool) (body []byte, err error) {
	if c.broken {
		return nil, fmt.Errorf("%w: connection to %s is unusable after an earlier error", errKafkaProtocol, c.addr)
	}
	dl, _ := ctx.Deadline()
	if err := c.nc.SetDeadline(dl); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if !stop() || err != nil {
			c.broken = true
		}
		if err == nil {
			return
		}
		// The connection's deadline is ctx's and may fire a moment
		// before ctx reports it: either way, ctx has run out.
		if cerr := ctx.Err(); cerr != nil {
			err = fmt.Errorf("%s: %w", err, cerr)
		} else if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
			err = fmt.Errorf("%s: %w", err, context.DeadlineExceeded)
		}
	}()
	c.corr++
	c.buf = c.f.AppendRequest(c.buf[:0], req, c.corr)
	if _, err := c.nc.Write(c.buf); err != nil {
		return nil, err
	}
	var size [4]byte
	if _, err := io.ReadFull(c.br, size[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(size[:]))
	switch {
	case string(size[:]) == "HTTP":
		return nil, fmt.Errorf("%w: %s answered with HTTP; is this a Kafka listener?", errKafkaProtocol, c.addr)
	case size[0] == 21 && size[1] == 3:
		return nil, fmt.Errorf("%w: %s answered with a TLS alert; the listener expects TLS, which the Kafka probe does not speak", errKafkaProtocol, c.addr)
	case n < 4 || n > kafkaMaxResponse:
		return nil, fmt.Errorf("%w: response size %d from %s out of bounds (4..%d)", errKafkaProtocol, n, c.addr, kafkaMaxResponse)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(c.br, buf); err != nil {
		return nil, err
	}
	if got := int32(binary.BigEndian.Uint32(buf)); got != c.corr {
		return nil, fmt.Errorf("%w: correlation id %d from %s, want %d", errKafkaProtocol, got, c.addr, c.corr)
	}
	body = buf[4:]
	if flexibleHeader {
		if body, err = skipTags(body); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// skipTags skips the tagged fields that end a flexible (KIP-482)
// response header: a count, then per field a tag, a size and the data,
// all unsigned varints.
func skipTags(b []byte) ([]byte, error) {
	uv := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	count, ok := uv()
	for i := uint64(0); ok && i < count; i++ {
		var size uint64
		if _, ok = uv(); ok {
			if size, ok = uv(); ok && size <= uint64(len(b)) {
				b = b[size:]
			} else {
				ok = false
			}
		}
	}
	if !ok {
		return nil, fmt.Errorf("%w: malformed tagged fields in a response header", errKafkaProtocol)
	}
	return b, nil
}

// kafkaError turns a broker error code into an error: nil for 0, else
// kerr's name and description of the code.
func kafkaError(code int16) error {
	err := kerr.ErrorForCode(code)
	if err == kerr.UnknownServerError && code != kerr.UnknownServerError.Code {
		return fmt.Errorf("broker error code %d", code)
	}
	return err
}

// Record batch layout (magic 2, Kafka 0.11+): the fixed header is 61
// bytes; Length counts from after itself (offset 12), the CRC (at 17)
// covers everything from the attributes (at 21) to the end.
const (
	batchHeaderLen = 61
	batchLengthEnd = 12
	batchMagicAt   = 16
	batchCRCAt     = 17
	batchCRCFrom   = 21
)

// Batch attribute bits.
const (
	batchCodecMask = 0x07
	batchControl   = 0x20
)

var batchCodecs = [...]string{"none", "gzip", "snappy", "lz4", "zstd"}

// appendRecordBatch appends an uncompressed magic-2 batch of one record
// to dst, as a non-idempotent producer writes it: producer id, epoch and
// sequence -1, create-time timestamps, CRC32C over the rest.
func appendRecordBatch(dst []byte, ts time.Time, key, value []byte) []byte {
	rec := kmsg.Record{Key: key, Value: value}
	// Length is a varint of the size of what follows it; 0 takes one byte.
	rec.Length = int32(len(rec.AppendTo(nil)) - 1)
	records := rec.AppendTo(nil)
	ms := ts.UnixMilli()
	b := kmsg.RecordBatch{
		FirstOffset:          0,
		Length:               int32(batchHeaderLen - batchLengthEnd + len(records)),
		PartitionLeaderEpoch: -1,
		Magic:                2,
		LastOffsetDelta:      0,
		FirstTimestamp:       ms,
		MaxTimestamp:         ms,
		ProducerID:           -1,
		ProducerEpoch:        -1,
		FirstSequence:        -1,
		NumRecords:           1,
		Records:              records,
	}
	start := len(dst)
	dst = b.AppendTo(dst)
	binary.BigEndian.PutUint32(dst[start+batchCRCAt:], crc32.Checksum(dst[start+batchCRCFrom:], castagnoli()))
	return dst
}

// batchScan is what scanning fetched record batches for the probe's
// record found.
type batchScan struct {
	found bool
	// skipped counts records at or after the fetch offset that came
	// before the probe's own (records before the fetch offset, which a
	// broker returns when they share a batch with it, are not counted).
	skipped int
	// next is the offset to fetch from next.
	next int64
}

// scanBatches decodes the record batches of a fetch response from
// offset from, looking for a record with value. A batch cut off at the
// end (brokers send whole batches up to a byte limit) ends the scan.
func scanBatches(data []byte, from int64, value []byte) (batchScan, error) {
	s := batchScan{next: from}
	for len(data) >= batchLengthEnd {
		length := int64(int32(binary.BigEndian.Uint32(data[8:batchLengthEnd])))
		total := batchLengthEnd + length
		if length < 0 {
			return s, fmt.Errorf("%w: record batch length %d", errKafkaProtocol, length)
		}
		if int64(len(data)) < total {
			break
		}
		raw := data[:total]
		data = data[total:]
		if total <= batchMagicAt {
			return s, fmt.Errorf("%w: record batch length %d too small", errKafkaProtocol, length)
		}
		if magic := raw[batchMagicAt]; magic != 2 {
			return s, fmt.Errorf("%w: message set of format v%d; the Kafka probe reads only v2 record batches (Kafka 0.11 and later)", errKafkaProtocol, magic)
		}
		if total < batchHeaderLen {
			return s, fmt.Errorf("%w: record batch length %d too small", errKafkaProtocol, length)
		}
		var b kmsg.RecordBatch
		if err := b.ReadFrom(raw); err != nil {
			return s, fmt.Errorf("%w: record batch at offset %d: %v", errKafkaProtocol, b.FirstOffset, err)
		}
		if got := crc32.Checksum(raw[batchCRCFrom:], castagnoli()); got != uint32(b.CRC) {
			return s, fmt.Errorf("%w: record batch at offset %d: CRC %08x, computed %08x", errKafkaProtocol, b.FirstOffset, uint32(b.CRC), got)
		}
		s.next = max(s.next, b.FirstOffset+int64(b.LastOffsetDelta)+1)
		if b.Attributes&batchControl != 0 {
			continue // transaction markers, not records
		}
		records := b.Records
		switch codec := b.Attributes & batchCodecMask; codec {
		case 0:
		case 1:
			var err error
			if records, err = gunzip(records); err != nil {
				return s, fmt.Errorf("%w: record batch at offset %d: gzip: %v", errKafkaProtocol, b.FirstOffset, err)
			}
		default:
			name := fmt.Sprintf("codec %d", codec)
			if int(codec) < len(batchCodecs) {
				name = batchCodecs[codec]
			}
			return s, fmt.Errorf("%w: record batch at offset %d is compressed with %s; the Kafka probe reads only uncompressed and gzip batches", errKafkaProtocol, b.FirstOffset, name)
		}
		for i := int32(0); i < b.NumRecords; i++ {
			n, w := binary.Varint(records)
			if w <= 0 || n < 0 || int64(len(records)-w) < n {
				return s, fmt.Errorf("%w: record %d of the batch at offset %d is cut off", errKafkaProtocol, i, b.FirstOffset)
			}
			var rec kmsg.Record
			if err := rec.ReadFrom(records[:w+int(n)]); err != nil {
				return s, fmt.Errorf("%w: record %d of the batch at offset %d: %v", errKafkaProtocol, i, b.FirstOffset, err)
			}
			records = records[w+int(n):]
			if b.FirstOffset+int64(rec.OffsetDelta) < from {
				continue
			}
			if bytes.Equal(rec.Value, value) {
				s.found = true
				return s, nil
			}
			s.skipped++
		}
	}
	return s, nil
}

// gunzip decompresses a gzip batch's records, bounded like a response.
func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(zr, kafkaMaxResponse+1))
	if err != nil {
		return nil, err
	}
	if len(out) > kafkaMaxResponse {
		return nil, fmt.Errorf("more than %d bytes uncompressed", kafkaMaxResponse)
	}
	return out, nil
}
