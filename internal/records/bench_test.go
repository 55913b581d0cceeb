package records

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/samsa-go/samsa"
)

const benchRecords = 1000

// benchValues returns n 100-byte JSON-ish values: realistic, moderately
// compressible payloads (random ids and numbers in a fixed shape).
func benchValues(n int) (keys, values [][]byte) {
	rng := rand.New(rand.NewPCG(99, 100))
	events := []string{"click", "view", "purchase", "scroll"}
	for i := range n {
		keys = append(keys, fmt.Appendf(nil, "user-%05d", rng.IntN(100000)))
		v := fmt.Appendf(nil, `{"id":%d,"event":%q,"amount":%d.%02d,"session":"%016x"}`,
			i, events[rng.IntN(len(events))], rng.IntN(1000), rng.IntN(100), rng.Uint64())
		for len(v) < 100 {
			v = append(v, ' ')
		}
		values = append(values, v[:100])
	}
	return keys, values
}

func BenchmarkAppend(b *testing.B) {
	keys, values := benchValues(benchRecords)
	headers := []samsa.Header{{Key: "trace-id", Value: []byte("0123456789abcdef")}}
	buf := make([]byte, 0, 1<<20)
	var bld Builder
	bld.Reset(buf, 0)
	b.SetBytes(int64(RecordSize(0, 0, keys[0], values[0], headers)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		j := i % benchRecords
		if j == 0 {
			bld.Reset(buf, 0)
		}
		bld.Append(int64(j), keys[j], values[j], headers)
	}
}

func BenchmarkEncodeBatch(b *testing.B) {
	keys, values := benchValues(benchRecords)
	var c Compressor
	for _, codec := range allCodecs {
		b.Run(codec.String(), func(b *testing.B) {
			buf := make([]byte, 0, 256<<10)
			o := NewFinishOptions(codec, 0)
			o.Compressor = &c
			var bld Builder
			encode := func() []byte {
				bld.Reset(buf, 1_700_000_000_000)
				for j := range benchRecords {
					bld.Append(1_700_000_000_000+int64(j), keys[j], values[j], nil)
				}
				batch, err := bld.Finish(o)
				if err != nil {
					b.Fatal(err)
				}
				return batch
			}
			encode()
			b.SetBytes(int64(bld.Len())) // uncompressed size
			b.ReportAllocs()
			var out int
			for b.Loop() {
				out = len(encode())
			}
			b.ReportMetric(float64(out), "batch-bytes")
		})
	}
}

func BenchmarkDecodeBatch(b *testing.B) {
	keys, values := benchValues(benchRecords)
	for _, codec := range allCodecs {
		var bld Builder
		bld.Reset(nil, 1_700_000_000_000)
		for j := range benchRecords {
			bld.Append(1_700_000_000_000+int64(j), keys[j], values[j], nil)
		}
		uncompressed := bld.Len()
		batch, err := bld.Finish(NewFinishOptions(codec, 0))
		if err != nil {
			b.Fatal(err)
		}
		for _, reuse := range []bool{false, true} {
			name := codec.String() + "/fresh"
			if reuse {
				name = codec.String() + "/reuse"
			}
			b.Run(name, func(b *testing.B) {
				d := Decoder{ReuseBuffers: reuse}
				dst := make([]Record, 0, benchRecords)
				b.SetBytes(int64(uncompressed))
				b.ReportAllocs()
				for b.Loop() {
					hdr, raw, _, err := ReadBatch(batch)
					if err != nil {
						b.Fatal(err)
					}
					if dst, err = d.Records(hdr, raw, dst[:0]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkIter(b *testing.B) {
	keys, values := benchValues(benchRecords)
	var bld Builder
	bld.Reset(nil, 0)
	for j := range benchRecords {
		bld.Append(int64(j), keys[j], values[j], []samsa.Header{{Key: "h", Value: []byte("v")}})
	}
	size := bld.Len()
	batch, err := bld.Finish(NewFinishOptions(CodecNone, 0))
	if err != nil {
		b.Fatal(err)
	}
	var d Decoder
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var sum int
	for b.Loop() {
		hdr, raw, _, err := ReadBatch(batch)
		if err != nil {
			b.Fatal(err)
		}
		it := d.Iter(hdr, raw)
		var r Record
		for it.Next(&r) {
			sum += len(r.Value)
		}
		if it.Err() != nil {
			b.Fatal(it.Err())
		}
	}
	_ = sum
}
