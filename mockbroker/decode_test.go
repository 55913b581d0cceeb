package mockbroker

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/internal/records"
	"github.com/samsa-go/samsa/internal/tagguard"
)

// TestDecodeBodyRefusesTagBombs checks the guard against kmsg's unbounded
// tagged-field loop: without it, each of these bodies costs kmsg minutes.
func TestDecodeBodyRefusesTagBombs(t *testing.T) {
	tests := []struct {
		name string
		req  kmsg.Request
		body []byte
	}{
		{"Metadata v12, top-level count 2^32-1", versioned(kmsg.NewPtrMetadataRequest(), 12), []byte{0x01, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"Metadata v12, count 2^28", versioned(kmsg.NewPtrMetadataRequest(), 12), []byte{0x01, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x01}},
		{"Metadata v12, topic count 2^21", versioned(kmsg.NewPtrMetadataRequest(), 12), []byte{0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x80, 0x80, 0x80, 0x01}},
		{"ApiVersions v3, count 2^32-1", versioned(kmsg.NewPtrApiVersionsRequest(), 3), []byte{0x02, 'a', 0x02, '1', 0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"Fetch v12", versioned(kmsg.NewPtrFetchRequest(), 12), append(make([]byte, 21), 0xfe, 0xff, 0xff, 0xff, 0x0f)},
		{"Produce v9, top-level count", versioned(kmsg.NewPtrProduceRequest(), 9), []byte{0, 0, 1, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"Produce v9, partition count", versioned(kmsg.NewPtrProduceRequest(), 9), []byte{0, 0, 1, 0, 0, 0, 0, 2, 2, 't', 2, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := decodeBody(tt.req, tt.body)
			assert.Error(t, err)
			assert.Less(t, time.Since(start), time.Second)
		})
	}
}

func versioned[R kmsg.Request](r R, v int16) R {
	r.SetVersion(v)
	return r
}

// TestDecodeBodyKeepsValidRequests checks that the guard never changes
// what a valid request decodes to, for requests full of bytes that look
// like dangerous uvarints: -1 integers, random topic ids, compressed and
// random record batches, binary strings.
func TestDecodeBodyKeepsValidRequests(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	randBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return b
	}
	var guarded int
	for i := 0; i < 100; i++ {
		var reqs []kmsg.Request

		f := fetchReq(12+int16(i%5), string(randBytes(1+rng.IntN(20))), rng.Int32(), -1, 500*time.Millisecond, 1)
		f.ReplicaID, f.SessionID, f.SessionEpoch = -1, rng.Int32(), -1
		copy(f.Topics[0].TopicID[:], randBytes(16))
		f.Topics[0].Partitions[0].CurrentLeaderEpoch = -1
		f.Topics[0].Partitions[0].LogStartOffset = -1
		reqs = append(reqs, f)

		var b records.Builder
		b.Reset(nil, rng.Int64())
		for range 1 + rng.IntN(20) {
			b.Append(rng.Int64(), randBytes(rng.IntN(30)), randBytes(rng.IntN(300)), nil)
		}
		bat, err := b.Finish(records.NewFinishOptions(records.Codec(rng.IntN(5)), 0))
		require.NoError(t, err)
		p := produceReq(9+int16(i%3), -1, "t", rng.Int32(), bat)
		p.TransactionID = kmsg.StringPtr(string(randBytes(10)))
		reqs = append(reqs, p)

		m := metadataReq(9+int16(i%4), string(randBytes(5)), string(randBytes(40)))
		reqs = append(reqs, m)

		lo := listOffsetsReq(6+int16(i%2), string(randBytes(8)), -1, -1)
		reqs = append(reqs, lo)

		for _, r := range reqs {
			wire := r.AppendTo(nil)
			if r.Key() == int16(kmsg.Produce) {
				require.True(t, produceTagsBounded(wire), "the Produce walker accepts valid requests")
			}
			if len(tagguard.DangerousVarints(wire)) > 0 {
				guarded++
			}
			want := kmsg.RequestForKey(r.Key())
			want.SetVersion(r.GetVersion())
			require.NoError(t, want.ReadFrom(wire))
			got := kmsg.RequestForKey(r.Key())
			got.SetVersion(r.GetVersion())
			require.NoError(t, decodeBody(got, wire), "%s v%d", kmsg.NameForKey(r.Key()), r.GetVersion())
			require.Equal(t, want, got)
		}
	}
	assert.Greater(t, guarded, 30, "the probe path was exercised")
	t.Logf("%d of %d requests went through the probe path", guarded, 100*4)
}
