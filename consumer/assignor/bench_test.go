package assignor

import (
	"fmt"
	"testing"
)

// benchGroup: 100 members, 10 topics × 100 partitions. With unequal set,
// member i subscribes to topics i%10 .. i%10+4 (five of them, wrapping).
func benchGroup(unequal bool) (map[string]int32, []holder) {
	metadata := map[string]int32{}
	var topics []string
	for i := range 10 {
		name := fmt.Sprintf("topic-%02d", i)
		topics = append(topics, name)
		metadata[name] = 100
	}
	hs := make([]holder, 100)
	for i := range hs {
		subs := topics
		if unequal {
			subs = nil
			for k := range 5 {
				subs = append(subs, topics[(i+k)%10])
			}
		}
		hs[i] = holder{id: fmt.Sprintf("consumer-%03d-8f1c2d", i), topics: subs, generation: -1}
	}
	return metadata, hs
}

func BenchmarkAssign(b *testing.B) {
	for _, bc := range []struct {
		name     string
		a        Assignor
		unequal  bool
		previous bool // members hold the previous assignment; one new member joins
	}{
		{"range", Range(), false, false},
		{"roundrobin", RoundRobin(), false, false},
		{"sticky/fresh", Sticky(), false, false},
		{"sticky/rejoin", Sticky(), false, true},
		{"sticky/unequal-fresh", Sticky(), true, false},
		{"sticky/unequal-rejoin", Sticky(), true, true},
		{"cooperative-sticky/rejoin", CooperativeSticky(), false, true},
		{"cooperative-sticky/unequal-rejoin", CooperativeSticky(), true, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			metadata, hs := benchGroup(bc.unequal)
			if bc.previous {
				out, err := bc.a.Assign(metadata, members(bc.a, hs))
				if err != nil {
					b.Fatal(err)
				}
				hs = adopt(hs, out, 1)
				hs = append(hs, holder{id: "consumer-new", topics: hs[0].topics, generation: -1})
			}
			ms := members(bc.a, hs)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.a.Assign(metadata, ms); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSubscriptionCodec(b *testing.B) {
	s := Subscription{Topics: []string{"orders", "payments", "shipments"}, GenerationID: 12, RackID: "use1-az1",
		OwnedPartitions: []TopicPartitions{{Topic: "orders", Partitions: []int32{0, 5, 10, 15}}, {Topic: "payments", Partitions: []int32{3, 4}}}}
	enc, err := EncodeSubscription(s, MaxSubscriptionVersion)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := EncodeSubscription(s, MaxSubscriptionVersion); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := DecodeSubscription(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
