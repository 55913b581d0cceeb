package wire

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/internal/tagguard"
)

// randomFetchResponse builds a Fetch response of version v full of bytes
// that look like dangerous counts: random ids, -1 integers, random record
// bytes; with tags, partitions carry known tagged fields too.
func randomFetchResponse(rng *rand.Rand, v int16, tags bool) *kmsg.FetchResponse {
	randBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return b
	}
	resp := kmsg.NewPtrFetchResponse()
	resp.Version = v
	resp.ThrottleMillis, resp.SessionID = rng.Int32(), rng.Int32()
	for range 1 + rng.IntN(3) {
		t := kmsg.NewFetchResponseTopic()
		t.Topic = string(randBytes(1 + rng.IntN(20)))
		copy(t.TopicID[:], randBytes(16))
		for range 1 + rng.IntN(4) {
			p := kmsg.NewFetchResponseTopicPartition()
			p.Partition, p.HighWatermark, p.LastStableOffset, p.LogStartOffset = rng.Int32(), -1, rng.Int64(), -1
			p.PreferredReadReplica = -1
			for range rng.IntN(3) {
				a := kmsg.NewFetchResponseTopicPartitionAbortedTransaction()
				a.ProducerID, a.FirstOffset = rng.Int64(), -1
				p.AbortedTransactions = append(p.AbortedTransactions, a)
			}
			p.RecordBatches = randBytes(rng.IntN(2000))
			if tags {
				p.DivergingEpoch.Epoch, p.DivergingEpoch.EndOffset = rng.Int32(), rng.Int64()
				p.CurrentLeader.LeaderID, p.CurrentLeader.LeaderEpoch = rng.Int32(), -1
			}
			t.Partitions = append(t.Partitions, p)
		}
		resp.Topics = append(resp.Topics, t)
	}
	return resp
}

// TestDecodeBodyKeepsValidFetchResponses: the guard never changes what a
// valid response decodes to, and the Fetch walk vouches for every valid
// response without tagged fields (the common case), so that record bytes
// are never scanned.
func TestDecodeBodyKeepsValidFetchResponses(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		v := int16(12 + i%7)
		tags := i%3 == 0
		body := randomFetchResponse(rng, v, tags).AppendTo(nil)
		if !tags {
			require.True(t, fetchTagsBounded(body, v), "v%d", v)
		}
		req := kmsg.NewPtrFetchRequest()
		req.Version = v
		want := req.ResponseKind()
		require.NoError(t, want.ReadFrom(body))
		got := req.ResponseKind()
		require.NoError(t, decodeBody(req, got, body), "v%d", v)
		require.Equal(t, want, got)
	}
}

// TestDecodeBodyRefusesTagBombs: a flexible response announcing 2^32-1
// tagged fields is refused at once, where kmsg alone loops for minutes.
func TestDecodeBodyRefusesTagBombs(t *testing.T) {
	bomb := []byte{0xff, 0xff, 0xff, 0xff, 0x0f}
	rng := rand.New(rand.NewPCG(5, 6))

	fetch := randomFetchResponse(rng, 12, false).AppendTo(nil)
	fetch = append(fetch[:len(fetch)-1], bomb...) // the top-level tag count
	meta := kmsg.NewPtrMetadataResponse()
	meta.Version = 12
	metaBody := append(meta.AppendTo(nil), 0)
	metaBody = append(metaBody[:len(metaBody)-2], bomb...)

	for _, tt := range []struct {
		name string
		req  kmsg.Request
		body []byte
	}{
		{"Fetch v12", func() kmsg.Request { r := kmsg.NewPtrFetchRequest(); r.Version = 12; return r }(), fetch},
		{"Metadata v12", func() kmsg.Request { r := kmsg.NewPtrMetadataRequest(); r.Version = 12; return r }(), metaBody},
		{"ApiVersions v3", func() kmsg.Request { r := kmsg.NewPtrApiVersionsRequest(); r.Version = 3; return r }(), append([]byte{0, 0, 1}, bomb...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := decodeBody(tt.req, tt.req.ResponseKind(), tt.body)
			assert.ErrorIs(t, err, tagguard.ErrTagBomb)
			assert.Less(t, time.Since(start), 5*time.Second)
		})
	}
	assert.False(t, fetchTagsBounded(fetch, 12), "the walk does not vouch for a bomb")
}
