package assignor

import (
	"bytes"
	"errors"
	"testing"

	"github.com/samsa-go/samsa"
)

// Decoders must never panic: an error is fine. What decodes must survive a
// re-encode unchanged (encoding is canonical, so encode∘decode is stable).

func FuzzDecodeSubscription(f *testing.F) {
	for v := int16(0); v <= MaxSubscriptionVersion; v++ {
		b, _ := EncodeSubscription(Subscription{
			Topics: []string{"a", "b"}, UserData: []byte{1},
			OwnedPartitions: []TopicPartitions{{Topic: "a", Partitions: []int32{0, 3}}},
			GenerationID:    4, RackID: "r",
		}, v)
		f.Add(b)
	}
	f.Add([]byte{0, 9, 0, 0, 0, 0, 255, 255, 255, 255, 1, 2})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, v, err := DecodeSubscription(b)
		if err != nil {
			if !errors.Is(err, samsa.ErrMalformedResponse) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		v = min(v, MaxSubscriptionVersion)
		b1, err := EncodeSubscription(s, v)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		s2, _, err := DecodeSubscription(b1)
		if err != nil {
			t.Fatalf("decode of re-encoded: %v", err)
		}
		b2, err := EncodeSubscription(s2, v)
		if err != nil || !bytes.Equal(b1, b2) {
			t.Fatalf("encoding not stable: %x vs %x (%v)", b1, b2, err)
		}
	})
}

func FuzzDecodeAssignment(f *testing.F) {
	b, _ := EncodeAssignment(Assignment{Partitions: []TopicPartitions{{Topic: "t", Partitions: []int32{1, 2}}}, UserData: []byte{7}}, 3)
	f.Add(b)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 255, 255, 255, 255})
	f.Add([]byte{0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, v, err := DecodeAssignment(b)
		if err != nil {
			if !errors.Is(err, samsa.ErrMalformedResponse) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		b1, err := EncodeAssignment(a, min(v, MaxAssignmentVersion))
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		a2, _, err := DecodeAssignment(b1)
		if err != nil {
			t.Fatalf("decode of re-encoded: %v", err)
		}
		if b2, _ := EncodeAssignment(a2, min(v, MaxAssignmentVersion)); !bytes.Equal(b1, b2) {
			t.Fatalf("encoding not stable: %x vs %x", b1, b2)
		}
	})
}

func FuzzDecodeStickyUserData(f *testing.F) {
	f.Add(encodeStickyUserData([]TopicPartitions{{Topic: "t", Partitions: []int32{0}}}, 3))
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		owned, gen, err := decodeStickyUserData(b)
		if err != nil {
			if !errors.Is(err, samsa.ErrMalformedResponse) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		again, gen2, err := decodeStickyUserData(encodeStickyUserData(owned, gen))
		if err != nil || gen2 != gen || len(again) != len(owned) {
			t.Fatalf("round trip: %v %d %d %d %d", err, gen, gen2, len(owned), len(again))
		}
	})
}

// FuzzAssign feeds arbitrary subscription bytes from several members to
// every assignor: it must return an assignment or a typed error, never
// panic, and never assign a partition twice.
func FuzzAssign(f *testing.F) {
	b, _ := EncodeSubscription(Subscription{Topics: []string{"a", "b"},
		OwnedPartitions: []TopicPartitions{{Topic: "a", Partitions: []int32{0}}}, GenerationID: 2}, 3)
	f.Add(b, b, []byte{0, 0, 0, 0, 0, 1, 0, 1, 'a', 255, 255, 255, 255}, uint8(3), uint8(5))
	f.Fuzz(func(t *testing.T, m1, m2, m3 []byte, na, nb uint8) {
		metadata := map[string]int32{"a": int32(na % 40), "b": int32(nb % 40)}
		var members []Member
		for i, raw := range [][]byte{m1, m2, m3} {
			s, _, err := DecodeSubscription(raw)
			if err != nil {
				continue
			}
			members = append(members, Member{MemberID: string(rune('x' + i)), Subscription: s})
		}
		for _, a := range []Assignor{Range(), RoundRobin(), Sticky(), CooperativeSticky()} {
			out, err := a.Assign(metadata, members)
			if err != nil {
				t.Fatalf("%s: %v", a.Name(), err)
			}
			seen := map[samsa.TopicPartition]bool{}
			for _, as := range out {
				for _, tp := range as.Partitions {
					for _, p := range tp.Partitions {
						k := samsa.TopicPartition{Topic: tp.Topic, Partition: p}
						if seen[k] {
							t.Fatalf("%s: %s-%d assigned twice", a.Name(), tp.Topic, p)
						}
						seen[k] = true
					}
				}
			}
		}
	})
}
