package mockbroker

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
)

// testClient is a minimal Kafka client for tests, independent of samsa's
// own client: kmsg frames and decodes, this type does the I/O. Not safe for
// concurrent use.
type testClient struct {
	t    testing.TB
	conn net.Conn
	br   *bufio.Reader
	f    *kmsg.RequestFormatter
	corr int32
}

func dialClient(t testing.TB, addr string) *testClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return &testClient{t: t, conn: conn, br: bufio.NewReader(conn), f: kmsg.NewRequestFormatter(kmsg.FormatterClientID("mockbroker-test"))}
}

// send writes a request and returns its correlation id.
func (tc *testClient) send(req kmsg.Request) int32 {
	tc.t.Helper()
	tc.corr++
	_, err := tc.conn.Write(tc.f.AppendRequest(nil, req, tc.corr))
	require.NoError(tc.t, err)
	return tc.corr
}

// recv reads the response to req, sent with correlation id corr.
func (tc *testClient) recv(req kmsg.Request, corr int32) (kmsg.Response, error) {
	_ = tc.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(tc.br, size[:]); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(tc.br, body); err != nil {
		return nil, err
	}
	if got := int32(binary.BigEndian.Uint32(body)); got != corr {
		return nil, fmt.Errorf("correlation id %d, want %d", got, corr)
	}
	body = body[4:]
	if req.IsFlexible() && req.Key() != int16(kmsg.ApiVersions) {
		rd := &reader{b: body}
		rd.skipTags()
		if rd.bad {
			return nil, errors.New("bad response header tags")
		}
		body = rd.b
	}
	resp := req.ResponseKind()
	if err := resp.ReadFrom(body); err != nil {
		return nil, err
	}
	return resp, nil
}

// do sends a request and returns its response, failing the test on error.
func (tc *testClient) do(req kmsg.Request) kmsg.Response {
	tc.t.Helper()
	resp, err := tc.recv(req, tc.send(req))
	require.NoError(tc.t, err)
	return resp
}

// expectClosed asserts that the broker closes the connection.
func (tc *testClient) expectClosed() {
	tc.t.Helper()
	_ = tc.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := tc.br.ReadByte()
	require.Error(tc.t, err)
	var ne net.Error
	require.False(tc.t, errors.As(err, &ne) && ne.Timeout(), "connection was not closed: %v", err)
}

// batch encodes values (keys k0, k1, ...) as one uncompressed record batch
// with the given timestamp for every record.
func batch(t testing.TB, ts int64, values ...string) []byte {
	t.Helper()
	var b records.Builder
	b.Reset(nil, ts)
	for i, v := range values {
		b.Append(ts, []byte(fmt.Sprintf("k%d", i)), []byte(v), []samsa.Header{{Key: "h", Value: []byte(v)}})
	}
	out, err := b.Finish(records.NewFinishOptions(records.CodecNone, 0))
	require.NoError(t, err)
	return out
}

// idemBatch encodes values as one batch of an idempotent producer.
func idemBatch(t testing.TB, pid int64, epoch int16, seq int32, values ...string) []byte {
	t.Helper()
	var b records.Builder
	ts := time.Now().UnixMilli()
	b.Reset(nil, ts)
	for _, v := range values {
		b.Append(ts, nil, []byte(v), nil)
	}
	o := records.NewFinishOptions(records.CodecNone, 0)
	o.ProducerID, o.ProducerEpoch, o.BaseSequence = pid, epoch, seq
	out, err := b.Finish(o)
	require.NoError(t, err)
	return out
}

// txnBatch encodes values as one batch of transactional producer pid
// (epoch 0, base sequence 0), every record with timestamp 1: a
// transaction that stays open until a marker ends it.
func txnBatch(t testing.TB, pid int64, values ...string) []byte {
	t.Helper()
	var b records.Builder
	b.Reset(nil, 1)
	for _, v := range values {
		b.Append(1, nil, []byte(v), nil)
	}
	o := records.NewFinishOptions(records.CodecNone, 0)
	o.ProducerID, o.ProducerEpoch, o.BaseSequence, o.Transactional = pid, 0, 0, true
	out, err := b.Finish(o)
	require.NoError(t, err)
	return out
}

// produceReq builds a Produce request for one partition.
func produceReq(version int16, acks int16, topic string, partition int32, records []byte) *kmsg.ProduceRequest {
	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(version)
	req.Acks = acks
	req.TimeoutMillis = 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition = partition
	rp.Records = records
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return req
}

// produce sends one batch and returns the partition response.
func (tc *testClient) produce(topic string, partition int32, records []byte) kmsg.ProduceResponseTopicPartition {
	tc.t.Helper()
	resp := tc.do(produceReq(9, -1, topic, partition, records)).(*kmsg.ProduceResponse)
	require.Len(tc.t, resp.Topics, 1)
	require.Len(tc.t, resp.Topics[0].Partitions, 1)
	return resp.Topics[0].Partitions[0]
}

// fetchReq builds a sessionless Fetch for one partition.
func fetchReq(version int16, topic string, partition int32, offset int64, maxWait time.Duration, minBytes int32) *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(version)
	req.ReplicaID = -1
	req.MaxWaitMillis = int32(maxWait / time.Millisecond)
	req.MinBytes = minBytes
	req.MaxBytes = 50 << 20
	req.SessionID, req.SessionEpoch = 0, -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition = partition
	rp.FetchOffset = offset
	rp.PartitionMaxBytes = 1 << 20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return req
}

// fetchOne fetches one partition without waiting and returns its response.
func (tc *testClient) fetchOne(topic string, partition int32, offset int64) kmsg.FetchResponseTopicPartition {
	tc.t.Helper()
	resp := tc.do(fetchReq(12, topic, partition, offset, 0, 0)).(*kmsg.FetchResponse)
	require.Len(tc.t, resp.Topics, 1)
	require.Len(tc.t, resp.Topics[0].Partitions, 1)
	return resp.Topics[0].Partitions[0]
}

// decodeAll decodes every whole batch of fetched bytes, dropping a partial
// trailing batch as clients do.
func decodeAll(t testing.TB, b []byte) []records.Record {
	t.Helper()
	var dec records.Decoder
	var out []records.Record
	for len(b) > 0 {
		hdr, batch, rest, err := records.ReadBatch(b)
		if errors.Is(err, records.ErrPartial) {
			break
		}
		require.NoError(t, err)
		out, err = dec.Records(hdr, batch, out)
		require.NoError(t, err)
		b = rest
	}
	return out
}

func metadataReq(version int16, topics ...string) *kmsg.MetadataRequest {
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(version)
	req.AllowAutoTopicCreation = true
	if topics != nil {
		req.Topics = []kmsg.MetadataRequestTopic{}
	}
	for _, name := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(name)
		req.Topics = append(req.Topics, rt)
	}
	return req
}

// leaderClient returns a client connected to the leader of a partition.
func leaderClient(t testing.TB, c *Cluster, topic string, partition int32) *testClient {
	t.Helper()
	leader, err := c.Leader(topic, partition)
	require.NoError(t, err)
	addr, err := c.Addr(leader)
	require.NoError(t, err)
	return dialClient(t, addr)
}

// eventually waits for cond with a deadline, without sleeping blindly:
// it polls with a short ticker and fails the test when time runs out.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func itoa(i int) string { return fmt.Sprint(i) }

var castagnoliTable = crc32.MakeTable(crc32.Castagnoli)

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoliTable) }

func dialClientErr(addr string) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		conn.Close()
	}
	return conn, err
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// sendNoFail writes a request without touching testing.T, for use from
// goroutines other than the test's.
func (tc *testClient) sendNoFail(req kmsg.Request) int32 {
	tc.corr++
	_, _ = tc.conn.Write(tc.f.AppendRequest(nil, req, tc.corr))
	return tc.corr
}
