package mockbroker

import (
	"fmt"
	"sync"
	"time"

	"github.com/samsa-go/samsa/internal/records"
)

// syntheticTarget is the approximate size of the synthetic batch: large
// enough that per-batch costs do not dominate a benchmark, small enough
// that a 1 MiB partition fetch holds several.
const syntheticTarget = 64 << 10

// syntheticBatch is the batch served by every fetch in synthetic-fetch
// mode (WithSyntheticFetch). Immutable after creation.
type syntheticBatch struct {
	batch   []byte
	records int64
	// bufs pools the buffers serve fills, one response's worth each.
	bufs sync.Pool
}

func newSyntheticBatch(recordBytes int) (*syntheticBatch, error) {
	// A record's framing (length, attributes, deltas, key, value length,
	// header count) takes about a dozen bytes next to its value.
	n := max(1, syntheticTarget/(recordBytes+12))
	value := make([]byte, recordBytes)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	var b records.Builder
	ts := time.Now().UnixMilli()
	b.Reset(make([]byte, 0, n*(recordBytes+16)+records.HeaderSize), ts)
	for range n {
		b.Append(ts, nil, value, nil)
	}
	batch, err := b.Finish(records.NewFinishOptions(records.CodecNone, 0))
	if err != nil {
		return nil, fmt.Errorf("mockbroker: building the synthetic fetch batch: %w", err)
	}
	return &syntheticBatch{batch: batch, records: int64(n)}, nil
}

// serve returns what a fetch at offset gets: as many copies of the batch as
// fit in maxBytes (one even if none fits when minOne), re-based so that
// offsets run on from offset, and the high watermark just past them. When
// nothing fits, the high watermark still lies one batch ahead, so the
// consumer fetches again at once rather than waiting. The returned bytes
// come from a pool: pass them to release once the response is encoded.
func (s *syntheticBatch) serve(offset int64, maxBytes int, minOne bool) ([]byte, int64) {
	n := maxBytes / len(s.batch)
	if n == 0 && minOne {
		n = 1
	}
	if n == 0 {
		return nil, offset + s.records
	}
	size := n * len(s.batch)
	var out []byte
	if p, ok := s.bufs.Get().(*[]byte); ok && cap(*p) >= size {
		out = (*p)[:size]
	} else {
		out = make([]byte, size)
	}
	for i := range n {
		chunk := out[i*len(s.batch) : (i+1)*len(s.batch)]
		copy(chunk, s.batch)
		records.SetBaseOffset(chunk, offset+int64(i)*s.records)
	}
	return out, offset + int64(n)*s.records
}

// release returns a buffer from serve to the pool.
func (s *syntheticBatch) release(b []byte) {
	if b != nil {
		s.bufs.Put(&b)
	}
}
