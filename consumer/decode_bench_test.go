package consumer

import (
	"bytes"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/serde"
)

// fetchResponseBytes encodes a Fetch v12 response body holding one
// partition with batches of perBatch records of size bytes each.
func fetchResponseBytes(tb testing.TB, batches, perBatch, size int, codec records.Codec) []byte {
	tb.Helper()
	v := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
	var data []byte
	var off int64
	for range batches {
		var b records.Builder
		ts := time.Now().UnixMilli()
		b.Reset(nil, ts)
		for range perBatch {
			b.Append(ts, nil, v, nil)
		}
		batch, err := b.Finish(records.NewFinishOptions(codec, 0))
		if err != nil {
			tb.Fatal(err)
		}
		records.SetBaseOffset(batch, off)
		off += int64(perBatch)
		data = append(data, batch...)
	}
	resp := kmsg.NewPtrFetchResponse()
	resp.SetVersion(12)
	t := kmsg.NewFetchResponseTopic()
	t.Topic = "bench"
	p := kmsg.NewFetchResponseTopicPartition()
	p.HighWatermark, p.LastStableOffset, p.RecordBatches = off, off, data
	t.Partitions = append(t.Partitions, p)
	resp.Topics = append(resp.Topics, t)
	return resp.AppendTo(nil)
}

// BenchmarkFetchDecode measures the consumer's decode path for one fetch
// response: kmsg decodes the response (zero-copy for the batches), then the
// converter checks CRCs, decompresses and decodes the batches straight into
// one slab of Records with serde.Bytes (no copy), and Poll's gather hands
// them out. 16 batches of 64 records of 100 bytes.
func BenchmarkFetchDecode(b *testing.B) {
	const batches, perBatch = 16, 64
	for _, codec := range []records.Codec{records.CodecNone, records.CodecLZ4, records.CodecZstd} {
		body := fetchResponseBytes(b, batches, perBatch, 100, codec)
		c := &Consumer[[]byte, []byte]{conv: newConverter(serde.Bytes(), serde.Bytes())}
		tp := samsa.TopicPartition{Topic: "bench"}
		b.Run(codec.String(), func(b *testing.B) {
			var dec records.Decoder
			spans := make([]span, 1)
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				resp := kmsg.NewPtrFetchResponse()
				resp.SetVersion(12)
				if err := resp.ReadFrom(body); err != nil {
					b.Fatal(err)
				}
				p := &resp.Topics[0].Partitions[0]
				d := decodePart(&dec, tp, decodeInput{data: p.RecordBatches, lastStable: -1})
				if d.err != nil || d.n != batches*perBatch {
					b.Fatalf("decoded %d records: %v", d.n, d.err)
				}
				spans[0] = span{recs: d.recs, to: d.n}
				if out := c.gather(spans); len(out) != d.n {
					b.Fatal("gather lost records")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batches*perBatch), "ns/record")
		})
	}
}
