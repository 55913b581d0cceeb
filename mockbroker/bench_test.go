package mockbroker

import (
	"bytes"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/internal/records"
)

// benchBatch is a batch of n records of size bytes each.
func benchBatch(b *testing.B, n, size int, codec records.Codec) []byte {
	b.Helper()
	var bl records.Builder
	bl.Reset(nil, time.Now().UnixMilli())
	v := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
	for range n {
		bl.Append(time.Now().UnixMilli(), nil, v, nil)
	}
	out, err := bl.Finish(records.NewFinishOptions(codec, 0))
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkParseRequest measures decoding request frames: the reader's
// share of every request's cost.
func BenchmarkParseRequest(b *testing.B) {
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("bench"))
	frames := map[string][]byte{
		"produce-64KiB": f.AppendRequest(nil, produceReq(9, -1, "t", 0, benchBatch(b, 640, 100, records.CodecNone)), 1)[4:],
		"produce-v7":    f.AppendRequest(nil, produceReq(7, -1, "t", 0, benchBatch(b, 640, 100, records.CodecNone)), 1)[4:],
		"fetch":         f.AppendRequest(nil, fetchReq(12, "t", 0, 12345, time.Second, 1), 1)[4:],
		"metadata":      f.AppendRequest(nil, metadataReq(12, "t"), 1)[4:],
	}
	for name, frame := range frames {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				if _, err := parseRequest(frame, apiVersionsMax()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProduce measures produce round trips over loopback: one
// connection, 64 KiB batches, acks=1, stored or in blackhole mode.
func BenchmarkProduce(b *testing.B) {
	for _, mode := range []struct {
		name string
		opts []Option
	}{{"stored", nil}, {"blackhole", []Option{WithBlackhole()}}} {
		b.Run(mode.name, func(b *testing.B) {
			c, err := New(append(mode.opts, WithTopic("t", 1))...)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			tc := dialClient(b, c.Addrs()[0])
			bat := benchBatch(b, 640, 100, records.CodecNone)
			req := produceReq(9, 1, "t", 0, bat)
			b.ReportAllocs()
			b.SetBytes(int64(len(bat)))
			for b.Loop() {
				resp, err := tc.recv(req, tc.send(req))
				if err != nil || resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0].ErrorCode != 0 {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFetch measures fetch round trips over loopback: 1 MiB per
// fetch, from a stored log or synthetic.
func BenchmarkFetch(b *testing.B) {
	b.Run("stored", func(b *testing.B) {
		c, err := New(WithTopic("t", 1))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		tc := dialClient(b, c.Addrs()[0])
		bat := benchBatch(b, 640, 100, records.CodecNone)
		for range 32 {
			tc.produce("t", 0, bat)
		}
		// Segments double from the log's start; batch 15 begins the
		// first 1 MiB one, so a fetch there is not cut at a segment end.
		benchFetchLoop(b, tc, 15*640, false)
	})
	b.Run("synthetic", func(b *testing.B) {
		c, err := New(WithTopic("t", 1), WithSyntheticFetch(100))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		benchFetchLoop(b, dialClient(b, c.Addrs()[0]), 0, true)
	})
}

func benchFetchLoop(b *testing.B, tc *testClient, offset int64, advance bool) {
	b.ReportAllocs()
	var total int64
	for b.Loop() {
		req := fetchReq(12, "t", 0, offset, 0, 0)
		resp, err := tc.recv(req, tc.send(req))
		if err != nil {
			b.Fatal(err)
		}
		fp := resp.(*kmsg.FetchResponse).Topics[0].Partitions[0]
		if fp.ErrorCode != 0 || len(fp.RecordBatches) == 0 {
			b.Fatalf("fetch at %d: error %d, %d bytes", offset, fp.ErrorCode, len(fp.RecordBatches))
		}
		total += int64(len(fp.RecordBatches))
		if advance {
			offset = fp.HighWatermark
		}
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds()/(1<<20), "MiB/s")
}

// BenchmarkLogRead measures a partition log read: the bytes a fetch
// serves, found by offset.
func BenchmarkLogRead(b *testing.B) {
	var l partitionLog
	bat := benchBatch(b, 10, 100, records.CodecNone)
	for range 10000 {
		l.append(bat, 9, 0, 0)
	}
	b.ReportAllocs()
	var off int64
	for b.Loop() {
		if len(l.read(off, 1<<20, true, l.end)) == 0 {
			b.Fatal("nothing read")
		}
		off = (off + 997) % l.end
	}
}
