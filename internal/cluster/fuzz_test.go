package cluster

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// FuzzBuildSnapshot builds snapshots from arbitrary metadata on top of a
// known previous snapshot. The input is read as 6-byte partition records
// (topic, partition, leader, epoch, topic id, error code), so the fuzzer
// explores samsa's merge logic rather than kmsg's decoder. It must never
// panic, partitions must come out sorted and unique, and no partition's
// leader epoch may go backwards for the same topic incarnation.
func FuzzBuildSnapshot(f *testing.F) {
	f.Add([]byte{0, 0, 1, 6, 0, 0, 0, 1, 2, 4, 0, 0, 1, 0, 0, 9, 0, 0})
	f.Add([]byte{2, 3, 0, 1, 0, 0, 2, 3, 1, 7, 0, 0})
	f.Add([]byte{1, 0, 0xff, 0xff, 5, 3})
	prev := buildSnapshot(bigMetadata(3, 4, 5), nil, time.Now())

	f.Fuzz(func(t *testing.T, in []byte) {
		resp := bigMetadata(0, 0, 0)
		topics := map[byte]*kmsg.MetadataResponseTopic{}
		var order []byte
		for ; len(in) >= 6; in = in[6:] {
			ti := in[0] % 4 // topic-000..002 exist in prev, topic-003 does not
			rt, ok := topics[ti]
			if !ok {
				nt := kmsg.NewMetadataResponseTopic()
				nt.Topic = kmsg.StringPtr("topic-00" + string(rune('0'+ti)))
				nt.TopicID = [16]byte{ti, in[4] % 3}
				rt = &nt
				topics[ti] = rt
				order = append(order, ti)
			}
			if in[5]%7 == 6 {
				rt.ErrorCode = 3
			}
			p := kmsg.NewMetadataResponseTopicPartition()
			p.Partition = int32(int8(in[1]))
			p.Leader = int32(int8(in[2]))
			p.LeaderEpoch = int32(int8(in[3]))
			p.ErrorCode = int16(in[5] % 7)
			rt.Partitions = append(rt.Partitions, p)
		}
		for _, ti := range order {
			resp.Topics = append(resp.Topics, *topics[ti])
		}
		s := buildSnapshot(resp, prev, time.Now())
		for name, tp := range s.Topics {
			if tp.Name != name {
				t.Fatalf("topic %q stored under %q", tp.Name, name)
			}
			for i := 1; i < len(tp.Partitions); i++ {
				if tp.Partitions[i-1].ID >= tp.Partitions[i].ID {
					t.Fatalf("topic %q partitions not sorted and unique", name)
				}
			}
			for i := range tp.Partitions {
				p := &tp.Partitions[i]
				if got, ok := tp.Partition(p.ID); !ok || got != p {
					t.Fatalf("%s-%d not found by Partition", name, p.ID)
				}
			}
			old := prev.Topics[name]
			if old == nil || tp.Err != nil || tp.ID != old.ID {
				continue
			}
			for _, p := range tp.Partitions {
				op, ok := old.Partition(p.ID)
				if ok && p.LeaderEpoch >= 0 && p.LeaderEpoch < op.LeaderEpoch {
					t.Fatalf("%s-%d: epoch went back from %d to %d", name, p.ID, op.LeaderEpoch, p.LeaderEpoch)
				}
			}
		}
	})
}
