package producer

import (
	"encoding/binary"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// FuzzFindPartition builds arbitrary produce responses — partitions left
// out, repeated, reordered, unknown topics and partitions — and checks
// the lookup that matches a response's answers to a request's batches:
// it must not panic, and must never match a batch to the answer for
// another partition. (The response is built from the fuzz input directly
// rather than decoded: decoding is kmsg's, which internal/wire guards.)
func FuzzFindPartition(f *testing.F) {
	batches := drainedBatches(f)
	req := newProduceRequest(-1, 30000, batches)
	topics := []string{"alpha", "beta", "gamma", ""}
	f.Add([]byte{0, 0, 0, 1, 0, 3, 0, 0, 2})          // the request's own order
	f.Add([]byte{1, 0, 3, 0, 0, 2, 0, 0, 0, 0, 0, 0}) // reordered, repeated
	f.Add([]byte{2, 0, 7, 3, 255, 255})               // unknown topics and partitions
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		resp := kmsg.NewPtrProduceResponse()
		byTopic := map[string]int{}
		for ; len(in) >= 3; in = in[3:] {
			name := topics[int(in[0])%len(topics)]
			i, ok := byTopic[name]
			if !ok || in[0] >= 128 { // a high selector byte repeats the topic entry
				i = len(resp.Topics)
				byTopic[name] = i
				rt := kmsg.NewProduceResponseTopic()
				rt.Topic = name
				resp.Topics = append(resp.Topics, rt)
			}
			rp := kmsg.NewProduceResponseTopicPartition()
			rp.Partition = int32(int16(binary.BigEndian.Uint16(in[1:3])))
			resp.Topics[i].Partitions = append(resp.Topics[i].Partitions, rp)
		}
		for i, b := range req.batches {
			tp := b.TopicPartition()
			p := findPartition(resp, req, i, tp)
			if p == nil {
				continue
			}
			if p.Partition != tp.Partition {
				t.Fatalf("batch for %s matched the answer for partition %d", tp, p.Partition)
			}
			found := false
			for _, rt := range resp.Topics {
				for j := range rt.Partitions {
					if &rt.Partitions[j] == p {
						found = rt.Topic == tp.Topic
					}
				}
			}
			if !found {
				t.Fatalf("batch for %s matched an answer of another topic", tp)
			}
		}
	})
}
