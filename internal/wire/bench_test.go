package wire

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/samsa-go/samsa/internal/wire/wiretest"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// leanBroker answers ApiVersions once and then every request with one
// pre-encoded Heartbeat response, patching only the correlation id. It
// allocates nothing per request, so the benchmarks' allocation counts
// are the client's.
func leanBroker(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	b.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	hb := kmsg.NewPtrHeartbeatResponse()
	hb.SetVersion(kmsg.NewPtrHeartbeatRequest().MaxVersion())
	hbFrame := wiretest.EncodeResponse(hb, 0)
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			wg.Go(func() { serveLean(nc, hbFrame) })
		}
	})
	return ln.Addr().String()
}

func serveLean(nc net.Conn, hbFrame []byte) {
	defer nc.Close()
	in := make([]byte, 64<<10)
	out := make([]byte, 0, 64<<10)
	var hdr [4]byte
	for first := true; ; first = false {
		if _, err := io.ReadFull(nc, hdr[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(hdr[:]))
		if n > len(in) || n < 8 {
			return
		}
		if _, err := io.ReadFull(nc, in[:n]); err != nil {
			return
		}
		corr := int32(binary.BigEndian.Uint32(in[4:]))
		if first { // ApiVersions
			r := &wiretest.Request{Version: int16(binary.BigEndian.Uint16(in[2:]))}
			if _, err := nc.Write(wiretest.EncodeResponse(wiretest.ApiVersionsResponse(r, wiretest.DefaultVersions()), corr)); err != nil {
				return
			}
			continue
		}
		out = append(out[:0], hbFrame...)
		binary.BigEndian.PutUint32(out[4:], uint32(corr))
		if _, err := nc.Write(out); err != nil {
			return
		}
	}
}

func benchConn(b *testing.B, o Options) *Conn {
	addr := leanBroker(b)
	c, err := Dial(context.Background(), addr, o)
	require.NoError(b, err)
	b.Cleanup(func() { _ = c.Close() })
	return c
}

// BenchmarkDo is one synchronous round trip over loopback TCP.
func BenchmarkDo(b *testing.B) {
	c := benchConn(b, Options{})
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group, req.MemberID = "group", "member-1"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Do(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDoParallel runs round trips from many goroutines on one
// connection, pipelined up to MaxInFlight.
func BenchmarkDoParallel(b *testing.B) {
	c := benchConn(b, Options{MaxInFlight: 5})
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		req := kmsg.NewPtrHeartbeatRequest()
		req.Group, req.MemberID = "group", "member-1"
		for pb.Next() {
			if _, err := c.Do(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkDoAsync keeps MaxInFlight requests in flight from one
// goroutine, as the producer's sender does.
func BenchmarkDoAsync(b *testing.B) {
	const inFlight = 5
	c := benchConn(b, Options{MaxInFlight: inFlight})
	reqs := make(chan *kmsg.HeartbeatRequest, inFlight)
	for range inFlight {
		r := kmsg.NewPtrHeartbeatRequest()
		r.Group, r.MemberID = "group", "member-1"
		reqs <- r
	}
	var wg sync.WaitGroup
	b.ReportAllocs()
	for b.Loop() {
		req := <-reqs
		wg.Add(1)
		c.DoAsync(req, time.Time{}, func(_ kmsg.Response, err error) {
			if err != nil {
				b.Error(err)
			}
			reqs <- req
			wg.Done()
		})
	}
	wg.Wait()
}

// BenchmarkDecodeMetadata decodes a 10-topic x 16-partition Metadata
// response frame, the reader's work for a typical refresh.
func BenchmarkDecodeMetadata(b *testing.B) {
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(12)
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	for i := range 3 {
		br := kmsg.NewMetadataResponseBroker()
		br.NodeID, br.Host, br.Port = int32(i), "broker.example", 9092
		resp.Brokers = append(resp.Brokers, br)
	}
	for ti := range 10 {
		t := kmsg.NewMetadataResponseTopic()
		t.Topic = kmsg.StringPtr("topic-" + string(rune('a'+ti)))
		for p := range 16 {
			mp := kmsg.NewMetadataResponseTopicPartition()
			mp.Partition, mp.Leader, mp.Replicas, mp.ISR = int32(p), int32(p%3), []int32{0, 1, 2}, []int32{0, 1, 2}
			t.Partitions = append(t.Partitions, mp)
		}
		resp.Topics = append(resp.Topics, t)
	}
	frame := wiretest.EncodeResponse(resp, 11)[4:]
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeResponse(req, 11, frame); err != nil {
			b.Fatal(err)
		}
	}
}
