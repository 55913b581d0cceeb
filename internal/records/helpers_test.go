package records

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testRecord is a record as a producer hands it to the Builder.
type testRecord struct {
	ts         int64
	key, value []byte
	headers    []samsa.Header
}

var allCodecs = []Codec{CodecNone, CodecGzip, CodecSnappy, CodecLZ4, CodecZstd}

// build encodes recs into one finished batch.
func build(t testing.TB, base int64, recs []testRecord, o FinishOptions) []byte {
	t.Helper()
	var b Builder
	b.Reset(nil, base)
	for _, r := range recs {
		b.Append(r.ts, r.key, r.value, r.headers)
	}
	batch, err := b.Finish(o)
	require.NoError(t, err)
	return batch
}

// decode reads exactly one batch from batch and decodes its records.
func decode(t testing.TB, batch []byte) (BatchHeader, []Record) {
	t.Helper()
	hdr, b, rest, err := ReadBatch(batch)
	require.NoError(t, err)
	require.Empty(t, rest)
	var d Decoder
	recs, err := d.Records(hdr, b, nil)
	require.NoError(t, err)
	return hdr, recs
}

// assertSameBytes checks content and nullness: nil must stay nil and
// empty must stay non-nil.
func assertSameBytes(t testing.TB, want, got []byte, what string) {
	t.Helper()
	assert.Equal(t, want == nil, got == nil, "%s: nil-ness differs (want %q, got %q)", what, want, got)
	assert.True(t, bytes.Equal(want, got), "%s: want %q, got %q", what, want, got)
}

func assertRecords(t testing.TB, hdr BatchHeader, want []testRecord, got []Record) {
	t.Helper()
	require.Len(t, got, len(want))
	for i, w := range want {
		g := got[i]
		assert.Equal(t, hdr.BaseOffset+int64(i), g.Offset, "record %d offset", i)
		wantTS := w.ts
		if hdr.LogAppendTime() {
			wantTS = hdr.MaxTimestamp
		}
		assert.Equal(t, wantTS, g.Timestamp, "record %d timestamp", i)
		assertSameBytes(t, w.key, g.Key, "key")
		assertSameBytes(t, w.value, g.Value, "value")
		require.Len(t, g.Headers, len(w.headers), "record %d headers", i)
		for j, h := range w.headers {
			assert.Equal(t, h.Key, string(g.Headers[j].Key), "record %d header %d key", i, j)
			assertSameBytes(t, h.Value, g.Headers[j].Value, "header value")
		}
	}
}

// randomBytes returns nil, empty or random bytes of up to max length.
func randomBytes(rng *rand.Rand, max int) []byte {
	switch rng.IntN(8) {
	case 0:
		return nil
	case 1:
		return []byte{}
	}
	b := make([]byte, rng.IntN(max+1))
	for i := range b {
		// Mostly text-like, so that compression has something to do.
		b[i] = byte('a' + rng.IntN(6))
	}
	return b
}

func randomRecords(rng *rand.Rand, n int, base int64) []testRecord {
	recs := make([]testRecord, n)
	for i := range recs {
		r := &recs[i]
		r.ts = base + rng.Int64N(20000) - 10000
		r.key = randomBytes(rng, 20)
		r.value = randomBytes(rng, 300)
		for range rng.IntN(4) {
			r.headers = append(r.headers, samsa.Header{Key: string(randomBytes(rng, 8)), Value: randomBytes(rng, 16)})
		}
	}
	return recs
}
