package assignor

import (
	"encoding/hex"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/IBM/sarama"
	"github.com/samsa-go/samsa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestSubscriptionExactBytes(t *testing.T) {
	s := Subscription{
		Topics:          []string{"b", "a"},
		UserData:        []byte{0xAB},
		OwnedPartitions: []TopicPartitions{{Topic: "b", Partitions: []int32{1}}, {Topic: "a", Partitions: []int32{2, 0}}},
		GenerationID:    7,
		RackID:          "r1",
	}
	want := map[int16]string{
		0: "0000" + "00000002" + "000161" + "000162" + "00000001ab",
		1: "0001" + "00000002" + "000161" + "000162" + "00000001ab" +
			"00000002" + "000161" + "00000002" + "00000000" + "00000002" + "000162" + "00000001" + "00000001",
		2: "0002" + "00000002" + "000161" + "000162" + "00000001ab" +
			"00000002" + "000161" + "00000002" + "00000000" + "00000002" + "000162" + "00000001" + "00000001" +
			"00000007",
		3: "0003" + "00000002" + "000161" + "000162" + "00000001ab" +
			"00000002" + "000161" + "00000002" + "00000000" + "00000002" + "000162" + "00000001" + "00000001" +
			"00000007" + "00027231",
	}
	for v := int16(0); v <= 3; v++ {
		got, err := EncodeSubscription(s, v)
		require.NoError(t, err)
		assert.Equal(t, want[v], hex.EncodeToString(got), "version %d", v)
	}
	// Nulls: no user data, no rack.
	got, err := EncodeSubscription(Subscription{Topics: []string{"t"}, GenerationID: DefaultGeneration}, 3)
	require.NoError(t, err)
	assert.Equal(t, "0003"+"00000001"+"000174"+"ffffffff"+"00000000"+"ffffffff"+"ffff", hex.EncodeToString(got))
	// The input was not reordered.
	assert.Equal(t, []string{"b", "a"}, s.Topics)
	assert.Equal(t, []int32{2, 0}, s.OwnedPartitions[1].Partitions)
}

func TestAssignmentExactBytes(t *testing.T) {
	a := Assignment{Partitions: []TopicPartitions{{Topic: "z", Partitions: []int32{3, 1}}, {Topic: "a", Partitions: []int32{0}}, {Topic: "z", Partitions: []int32{2}}}}
	got, err := EncodeAssignment(a, 3)
	require.NoError(t, err)
	// Topics in given order, the repeated "z" merged into the first entry.
	assert.Equal(t, "0003"+"00000002"+"00017a"+"00000003"+"00000003"+"00000001"+"00000002"+
		"000161"+"00000001"+"00000000"+"ffffffff", hex.EncodeToString(got))
	empty, err := EncodeAssignment(Assignment{}, 0)
	require.NoError(t, err)
	assert.Equal(t, "0000"+"00000000"+"ffffffff", hex.EncodeToString(empty))
}

func TestSubscriptionRoundTrip(t *testing.T) {
	full := Subscription{
		Topics:          []string{"alpha", "beta"},
		UserData:        []byte("user"),
		OwnedPartitions: []TopicPartitions{{Topic: "alpha", Partitions: []int32{0, 4}}},
		GenerationID:    42,
		RackID:          "rack-a",
	}
	for v := int16(0); v <= MaxSubscriptionVersion; v++ {
		b, err := EncodeSubscription(full, v)
		require.NoError(t, err)
		got, gotV, err := DecodeSubscription(b)
		require.NoError(t, err)
		assert.Equal(t, v, gotV)
		want := Subscription{Topics: full.Topics, UserData: full.UserData, GenerationID: DefaultGeneration}
		if v >= 1 {
			want.OwnedPartitions = full.OwnedPartitions
		}
		if v >= 2 {
			want.GenerationID = full.GenerationID
		}
		if v >= 3 {
			want.RackID = full.RackID
		}
		assert.Equal(t, want, got, "version %d", v)
	}
	// null vs empty user data survive.
	for _, ud := range [][]byte{nil, {}} {
		b, err := EncodeSubscription(Subscription{UserData: ud}, 3)
		require.NoError(t, err)
		got, _, err := DecodeSubscription(b)
		require.NoError(t, err)
		assert.Equal(t, ud == nil, got.UserData == nil)
	}
}

func TestEncodeNormalizesLikeJava(t *testing.T) {
	b, err := EncodeSubscription(Subscription{
		Topics:          []string{"c", "a", "b", "a"},
		OwnedPartitions: []TopicPartitions{{Topic: "b", Partitions: []int32{2, 1, 2}}, {Topic: "a", Partitions: []int32{9}}, {Topic: "b", Partitions: []int32{0}}},
	}, 1)
	require.NoError(t, err)
	got, _, err := DecodeSubscription(b)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, got.Topics)
	assert.Equal(t, []TopicPartitions{{Topic: "a", Partitions: []int32{9}}, {Topic: "b", Partitions: []int32{0, 1, 2}}}, got.OwnedPartitions)
}

func TestEncodeErrors(t *testing.T) {
	long := strings.Repeat("x", 40000)
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"subscription version 4", second(EncodeSubscription(Subscription{}, 4)), samsa.ErrUnsupportedVersion},
		{"subscription version -1", second(EncodeSubscription(Subscription{}, -1)), samsa.ErrUnsupportedVersion},
		{"assignment version 4", second(EncodeAssignment(Assignment{}, 4)), samsa.ErrUnsupportedVersion},
		{"long topic", second(EncodeSubscription(Subscription{Topics: []string{long}}, 0)), samsa.ErrInvalidTopic},
		{"long owned topic", second(EncodeSubscription(Subscription{OwnedPartitions: []TopicPartitions{{Topic: long, Partitions: []int32{0}}}}, 1)), samsa.ErrInvalidTopic},
		{"long assigned topic", second(EncodeAssignment(Assignment{Partitions: []TopicPartitions{{Topic: long}}}, 0)), samsa.ErrInvalidTopic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, tc.err, tc.want)
			var pe *ProtocolError
			require.ErrorAs(t, tc.err, &pe)
		})
	}
	_, err := EncodeSubscription(Subscription{RackID: long}, 3)
	var ce *samsa.ConfigError
	require.ErrorAs(t, err, &ce)
}

func second[T any](_ T, err error) error { return err }

func TestDecodeSubscriptionForwardCompatible(t *testing.T) {
	b, err := EncodeSubscription(Subscription{Topics: []string{"t"}, GenerationID: 3, RackID: "r"}, 3)
	require.NoError(t, err)
	b[1] = 9                                 // a future version 9...
	b = append(b, 0xde, 0xad, 0xbe, 0xef, 1) // ...with fields we do not know
	got, v, err := DecodeSubscription(b)
	require.NoError(t, err)
	assert.Equal(t, int16(9), v)
	assert.Equal(t, Subscription{Topics: []string{"t"}, GenerationID: 3, RackID: "r"}, got)

	ab, err := EncodeAssignment(Assignment{Partitions: []TopicPartitions{{Topic: "t", Partitions: []int32{1}}}}, 1)
	require.NoError(t, err)
	ab[1] = 5
	ab = append(ab, 1, 2, 3)
	a, v, err := DecodeAssignment(ab)
	require.NoError(t, err)
	assert.Equal(t, int16(5), v)
	assert.Equal(t, []TopicPartitions{{Topic: "t", Partitions: []int32{1}}}, a.Partitions)
}

// TestDecodeTruncated cuts a v3 subscription at every byte: it decodes only
// when the cut falls where a field of the version would begin (the
// sarama-compatible leniency), and otherwise fails with a typed error.
func TestDecodeTruncated(t *testing.T) {
	s := Subscription{Topics: []string{"orders"}, UserData: []byte{1, 2},
		OwnedPartitions: []TopicPartitions{{Topic: "orders", Partitions: []int32{0}}}, GenerationID: 5, RackID: "r"}
	b, err := EncodeSubscription(s, 3)
	require.NoError(t, err)
	v0, _ := EncodeSubscription(s, 0)
	v1, _ := EncodeSubscription(s, 1)
	v2, _ := EncodeSubscription(s, 2)
	boundaries := map[int]bool{len(v0): true, len(v1): true, len(v2): true, len(b): true}
	for n := 0; n <= len(b); n++ {
		got, _, err := DecodeSubscription(b[:n])
		if boundaries[n] {
			require.NoError(t, err, "cut at %d", n)
			assert.Equal(t, s.Topics, got.Topics)
			continue
		}
		require.ErrorIs(t, err, samsa.ErrMalformedResponse, "cut at %d", n)
		var pe *ProtocolError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, subscriptionName, pe.Message)
	}
	a, err := EncodeAssignment(Assignment{Partitions: []TopicPartitions{{Topic: "orders", Partitions: []int32{0, 1}}}, UserData: []byte{9}}, 0)
	require.NoError(t, err)
	for n := 0; n < len(a); n++ {
		_, _, err := DecodeAssignment(a[:n])
		require.ErrorIs(t, err, samsa.ErrMalformedResponse, "cut at %d", n)
	}
}

func TestDecodeMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, hex  string
		assignment bool
	}{
		{"negative version", "ffff00000000ffffffff", false},
		{"null topics array", "0000ffffffffffffffff", false},
		{"huge topics array", "00007fffffff", false},
		{"null topic string", "000000000001ffffffffffff", false},
		{"negative string length", "000000000001fffe", false},
		{"negative bytes length", "000000000000fffffffe", false},
		{"null owned partitions", "000100000000ffffffffffffffff", false},
		{"assignment negative version", "800000000000ffffffff", true},
		{"assignment huge partitions", "0000000000010001740fffffff", true},
		{"assignment null partitions", "000000000001000174ffffffffffffffff", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := hex.DecodeString(tc.hex)
			require.NoError(t, err)
			if tc.assignment {
				_, _, err = DecodeAssignment(b)
			} else {
				_, _, err = DecodeSubscription(b)
			}
			require.ErrorIs(t, err, samsa.ErrMalformedResponse)
		})
	}
}

func TestDecodeDoesNotAlias(t *testing.T) {
	b, err := EncodeSubscription(Subscription{Topics: []string{"t"}, UserData: []byte{1, 2, 3}}, 0)
	require.NoError(t, err)
	s, _, err := DecodeSubscription(b)
	require.NoError(t, err)
	for i := range b {
		b[i] = 0
	}
	assert.Equal(t, []byte{1, 2, 3}, s.UserData)
	assert.Equal(t, []string{"t"}, s.Topics)
}

// randomSubscription returns a subscription already in Java's normalized
// form (sorted topics, sorted grouped owned partitions), which is what every
// client writes for the same input.
func randomSubscription(rng *rand.Rand, version int16) Subscription {
	s := Subscription{GenerationID: DefaultGeneration}
	topics := map[string]bool{}
	for range rng.IntN(5) {
		topics["topic-"+string(rune('a'+rng.IntN(20)))] = true
	}
	for t := range topics {
		s.Topics = append(s.Topics, t)
	}
	slices.Sort(s.Topics)
	if rng.IntN(3) > 0 {
		s.UserData = make([]byte, rng.IntN(10))
		for i := range s.UserData {
			s.UserData[i] = byte(rng.Uint32())
		}
	}
	if version >= 1 {
		for _, t := range s.Topics {
			if rng.IntN(2) == 0 {
				continue
			}
			tp := TopicPartitions{Topic: t}
			for p := range int32(rng.IntN(6)) {
				if rng.IntN(2) == 0 {
					tp.Partitions = append(tp.Partitions, p)
				}
			}
			if len(tp.Partitions) > 0 {
				s.OwnedPartitions = append(s.OwnedPartitions, tp)
			}
		}
	}
	if version >= 2 {
		s.GenerationID = rng.Int32N(100) - 1
	}
	if version >= 3 && rng.IntN(2) == 0 {
		s.RackID = "rack-" + string(rune('0'+rng.IntN(10)))
	}
	return s
}

// TestSubscriptionMatchesSarama encodes and decodes random subscriptions of
// every version with both codecs.
func TestSubscriptionMatchesSarama(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 400 {
		v := int16(i % 4)
		s := randomSubscription(rng, v)
		ours, err := EncodeSubscription(s, v)
		require.NoError(t, err)

		meta := &sarama.ConsumerGroupMemberMetadata{Version: v, Topics: s.Topics, UserData: s.UserData, GenerationID: s.GenerationID}
		for _, tp := range s.OwnedPartitions {
			meta.OwnedPartitions = append(meta.OwnedPartitions, &sarama.OwnedPartition{Topic: tp.Topic, Partitions: tp.Partitions})
		}
		if s.RackID != "" {
			meta.RackID = &s.RackID
		}
		var req sarama.JoinGroupRequest
		require.NoError(t, req.AddGroupProtocolMetadata("range", meta))
		require.Equal(t, req.OrderedGroupProtocols[0].Metadata, ours, "sarama bytes, case %d v%d", i, v)

		theirs, err := (&sarama.GroupMemberDescription{MemberMetadata: ours}).GetMemberMetadata()
		require.NoError(t, err)
		assert.Equal(t, v, theirs.Version)
		assert.Equal(t, len(s.Topics), len(theirs.Topics))
		back, gotV, err := DecodeSubscription(req.OrderedGroupProtocols[0].Metadata)
		require.NoError(t, err)
		assert.Equal(t, v, gotV)
		assert.Equal(t, s, back, "case %d v%d", i, v)
	}
}

func TestSubscriptionMatchesKmsg(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 400 {
		v := int16(i % 4)
		s := randomSubscription(rng, v)
		ours, err := EncodeSubscription(s, v)
		require.NoError(t, err)
		k := kmsg.ConsumerMemberMetadata{Version: v, Topics: s.Topics, UserData: s.UserData, Generation: s.GenerationID}
		for _, tp := range s.OwnedPartitions {
			k.OwnedPartitions = append(k.OwnedPartitions, kmsg.ConsumerMemberMetadataOwnedPartition{Topic: tp.Topic, Partitions: tp.Partitions})
		}
		if s.RackID != "" {
			k.Rack = &s.RackID
		}
		require.Equal(t, k.AppendTo(nil), ours, "kmsg bytes, case %d v%d", i, v)

		var dec kmsg.ConsumerMemberMetadata
		require.NoError(t, dec.ReadFrom(ours))
		assert.Equal(t, s.GenerationID, dec.Generation)
		if s.RackID != "" {
			require.NotNil(t, dec.Rack)
			assert.Equal(t, s.RackID, *dec.Rack)
		} else {
			assert.Nil(t, dec.Rack)
		}
	}
}

func randomAssignment(rng *rand.Rand) Assignment {
	var a Assignment
	for i := range rng.IntN(4) {
		tp := TopicPartitions{Topic: "t" + string(rune('a'+i))}
		for range rng.IntN(5) {
			tp.Partitions = append(tp.Partitions, rng.Int32N(50))
		}
		a.Partitions = append(a.Partitions, tp)
	}
	if rng.IntN(2) == 0 {
		a.UserData = []byte{byte(rng.Uint32())}
	}
	return a
}

func TestAssignmentMatchesKmsgAndSarama(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 300 {
		v := int16(i % 4)
		a := randomAssignment(rng)
		ours, err := EncodeAssignment(a, v)
		require.NoError(t, err)

		k := kmsg.ConsumerMemberAssignment{Version: v, UserData: a.UserData}
		for _, tp := range a.Partitions {
			k.Topics = append(k.Topics, kmsg.ConsumerMemberAssignmentTopic{Topic: tp.Topic, Partitions: tp.Partitions})
		}
		require.Equal(t, k.AppendTo(nil), ours, "kmsg bytes, case %d", i)

		// sarama keeps topics in a map, so its byte order is random for
		// more than one topic: compare decoded contents both ways.
		theirs, err := (&sarama.SyncGroupResponse{MemberAssignment: ours}).GetMemberAssignment()
		require.NoError(t, err)
		assert.Equal(t, v, theirs.Version)
		assert.Equal(t, len(a.Partitions), len(theirs.Topics))
		for _, tp := range a.Partitions {
			assert.True(t, slices.Equal(tp.Partitions, theirs.Topics[tp.Topic]), "%v vs %v", tp.Partitions, theirs.Topics[tp.Topic])
		}
		var req sarama.SyncGroupRequest
		require.NoError(t, req.AddGroupAssignmentMember("m", theirs))
		back, gotV, err := DecodeAssignment(req.GroupAssignments[0].Assignment)
		require.NoError(t, err)
		assert.Equal(t, v, gotV)
		assert.ElementsMatch(t, a.Partitions, back.Partitions)
		assert.Equal(t, a.UserData, back.UserData)
	}
}

func TestStickyUserDataMatchesKmsg(t *testing.T) {
	owned := []TopicPartitions{{Topic: "a", Partitions: []int32{0, 2}}, {Topic: "b", Partitions: []int32{1}}}
	ours := encodeStickyUserData(owned, 9)
	k := kmsg.StickyMemberMetadata{Generation: 9}
	for _, tp := range owned {
		k.CurrentAssignment = append(k.CurrentAssignment, kmsg.StickyMemberMetadataCurrentAssignment{Topic: tp.Topic, Partitions: tp.Partitions})
	}
	require.Equal(t, k.AppendTo(nil), ours)

	// kmsg writes v0 (no generation) for generation -1; it decodes as v0.
	k.Generation = -1
	v0 := k.AppendTo(nil)
	got, gen, err := decodeStickyUserData(v0)
	require.NoError(t, err)
	assert.Equal(t, owned, got)
	assert.Equal(t, DefaultGeneration, gen)

	var dec kmsg.StickyMemberMetadata
	require.NoError(t, dec.ReadFrom(ours))
	assert.Equal(t, int32(9), dec.Generation)

	_, _, err = decodeStickyUserData([]byte{0, 0, 0, 5, 0})
	require.ErrorIs(t, err, samsa.ErrMalformedResponse)
}
