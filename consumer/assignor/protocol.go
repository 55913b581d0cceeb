package assignor

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/samsa-go/samsa"
)

// ProtocolType is the protocol type of consumer groups in JoinGroup
// requests ("consumer"); the protocol names are the assignor names.
const ProtocolType = "consumer"

// The highest versions of the consumer protocol messages this package
// knows. Java writes the highest version it knows; so does a samsa consumer.
const (
	MaxSubscriptionVersion int16 = 3
	MaxAssignmentVersion   int16 = 3
)

// DefaultGeneration is the generation of a member that holds no assignment
// from any generation (Java's DEFAULT_GENERATION). Subscriptions decoded
// from versions without a generation carry it.
const DefaultGeneration int32 = -1

// TopicPartitions is a topic and some of its partitions: the per-topic form
// in which the consumer protocol carries partition lists.
type TopicPartitions struct {
	Topic      string
	Partitions []int32
}

// Subscription is what a member tells the group leader when it joins
// (ConsumerProtocolSubscription, the metadata of each protocol in a
// JoinGroup request). The zero value is not a valid "unknown generation":
// set GenerationID to DefaultGeneration when the member holds nothing.
type Subscription struct {
	// Topics the member subscribes to.
	Topics []string
	// UserData is assignor-specific (sticky assignors keep their state
	// here); nil is encoded as null.
	UserData []byte
	// OwnedPartitions are the partitions the member holds while it joins
	// (v1+). Cooperative members report them; eager members report none,
	// because they revoke everything before joining.
	OwnedPartitions []TopicPartitions
	// GenerationID is the generation in which OwnedPartitions were assigned
	// (v2+), DefaultGeneration if none.
	GenerationID int32
	// RackID is the member's rack (client.rack, v3+); "" means none and is
	// encoded as null.
	RackID string
}

// Assignment is what the leader hands each member in SyncGroup
// (ConsumerProtocolAssignment).
type Assignment struct {
	// Partitions assigned to the member, per topic.
	Partitions []TopicPartitions
	// UserData is assignor-specific; nil is encoded as null. The built-in
	// assignors send none.
	UserData []byte
}

// ProtocolError reports consumer protocol bytes that cannot be decoded, or
// a message that cannot be encoded. A decode error wraps
// samsa.ErrMalformedResponse (the bytes arrive in JoinGroup and SyncGroup
// responses); an encode error wraps samsa.ErrUnsupportedVersion for an
// unknown version, samsa.ErrInvalidTopic for a topic name too long to
// encode, or a *samsa.ConfigError for a rack id too long to encode.
type ProtocolError struct {
	// Message is the message's name, e.g. "ConsumerProtocolSubscription".
	Message string
	// Field is the field that failed, e.g. "OwnedPartitions.topic".
	Field string
	// Offset is the byte offset at which decoding failed (0 for encoding).
	Offset int
	// Reason says what is wrong.
	Reason string

	decode bool
	err    error
}

func (e *ProtocolError) Error() string {
	if e.decode {
		return fmt.Sprintf("samsa: cannot decode %s: field %s at byte %d: %s", e.Message, e.Field, e.Offset, e.Reason)
	}
	return fmt.Sprintf("samsa: cannot encode %s: field %s: %s", e.Message, e.Field, e.Reason)
}

// Unwrap returns the root sentinel (or ConfigError) this error is a case of.
func (e *ProtocolError) Unwrap() error {
	if e.decode {
		return samsa.ErrMalformedResponse
	}
	return e.err
}

const (
	subscriptionName = "ConsumerProtocolSubscription"
	assignmentName   = "ConsumerProtocolAssignment"
)

// EncodeSubscription returns s encoded at version (0 to
// MaxSubscriptionVersion) with its INT16 version prefix, byte for byte as
// Java's ConsumerProtocol.serializeSubscription writes it: topics sorted
// and deduplicated; owned partitions sorted by topic and partition,
// deduplicated and grouped per topic; fields the version does not have are
// left out. s is not modified.
func EncodeSubscription(s Subscription, version int16) ([]byte, error) {
	if version < 0 || version > MaxSubscriptionVersion {
		return nil, &ProtocolError{Message: subscriptionName, Field: "version",
			Reason: fmt.Sprintf("version %d is not in [0, %d]", version, MaxSubscriptionVersion), err: samsa.ErrUnsupportedVersion}
	}
	topics := slices.Clone(s.Topics)
	slices.Sort(topics)
	topics = slices.Compact(topics)
	for _, t := range topics {
		if !checkString(t) {
			return nil, errTopicTooLong(subscriptionName, "Topics", t)
		}
	}
	owned := normalizeOwned(s.OwnedPartitions)
	for _, tp := range owned {
		if !checkString(tp.Topic) {
			return nil, errTopicTooLong(subscriptionName, "OwnedPartitions.topic", tp.Topic)
		}
	}
	if !checkString(s.RackID) {
		return nil, &ProtocolError{Message: subscriptionName, Field: "RackId", Reason: "longer than 32767 bytes",
			err: &samsa.ConfigError{Option: "consumer rack (client.rack)", Value: len(s.RackID), Reason: "the rack id is longer than 32767 bytes"}}
	}

	b := make([]byte, 0, 64)
	b = appendInt16(b, version)
	b = appendInt32(b, int32(len(topics)))
	for _, t := range topics {
		b = appendString(b, t)
	}
	b = appendNullableBytes(b, s.UserData)
	if version >= 1 {
		b = appendTopicPartitionsArray(b, owned)
	}
	if version >= 2 {
		b = appendInt32(b, s.GenerationID)
	}
	if version >= 3 {
		b = appendNullableString(b, s.RackID)
	}
	return b, nil
}

func errTopicTooLong(msg, field, topic string) error {
	return &ProtocolError{Message: msg, Field: field,
		Reason: fmt.Sprintf("topic name of %d bytes is longer than 32767", len(topic)), err: samsa.ErrInvalidTopic}
}

// normalizeOwned flattens, sorts by (topic, partition), deduplicates and
// regroups owned partitions into fresh slices.
func normalizeOwned(in []TopicPartitions) []TopicPartitions {
	var flat []samsa.TopicPartition
	for _, tp := range in {
		for _, p := range tp.Partitions {
			flat = append(flat, samsa.TopicPartition{Topic: tp.Topic, Partition: p})
		}
	}
	return groupSorted(flat)
}

// groupSorted sorts and deduplicates tps and groups them per topic.
func groupSorted(tps []samsa.TopicPartition) []TopicPartitions {
	slices.SortFunc(tps, func(a, b samsa.TopicPartition) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	tps = slices.Compact(tps)
	var out []TopicPartitions
	for _, tp := range tps {
		if len(out) == 0 || out[len(out)-1].Topic != tp.Topic {
			out = append(out, TopicPartitions{Topic: tp.Topic})
		}
		last := &out[len(out)-1]
		last.Partitions = append(last.Partitions, tp.Partition)
	}
	return out
}

// DecodeSubscription decodes a ConsumerProtocolSubscription and returns it
// with the version it was written at.
//
// Like Java, it reads a version above MaxSubscriptionVersion as the highest
// known one and ignores bytes after the fields it knows, so newer members
// can join. Like sarama, it accepts a message that ends exactly where a
// field of its version would begin (some clients declare v1 without writing
// owned partitions); the missing fields take their defaults (no owned
// partitions, DefaultGeneration, no rack). Any other truncation, a negative
// version, a negative length or a null where Java forbids one is a
// *ProtocolError wrapping samsa.ErrMalformedResponse. The result never
// aliases b.
func DecodeSubscription(b []byte) (Subscription, int16, error) {
	r := reader{b: b, what: subscriptionName}
	s := Subscription{GenerationID: DefaultGeneration}
	version := r.int16("version")
	if r.err == nil && version < 0 {
		r.fail("version", "negative version %d", version)
	}
	v := min(version, MaxSubscriptionVersion)
	n := r.arrayLen("Topics", 2)
	if n > 0 {
		s.Topics = make([]string, n)
		for i := range s.Topics {
			s.Topics[i] = r.string("Topics")
		}
	}
	s.UserData = r.nullableBytes("UserData")
	if r.err != nil {
		return Subscription{}, version, r.err
	}
	if v >= 1 && r.remaining() > 0 {
		s.OwnedPartitions = r.topicPartitionsArray("OwnedPartitions")
		if v >= 2 && r.err == nil && r.remaining() > 0 {
			s.GenerationID = r.int32("GenerationId")
			if v >= 3 && r.err == nil && r.remaining() > 0 {
				s.RackID, _ = r.nullableString("RackId")
			}
		}
	}
	if r.err != nil {
		return Subscription{}, version, r.err
	}
	return s, version, nil
}

// EncodeAssignment returns a encoded at version (0 to
// MaxAssignmentVersion; all versions are identical on the wire) with its
// INT16 version prefix, as Java's ConsumerProtocol.serializeAssignment
// writes it: topics in the order given, a topic given twice merged into its
// first entry, partitions in the order given. a is not modified.
func EncodeAssignment(a Assignment, version int16) ([]byte, error) {
	if version < 0 || version > MaxAssignmentVersion {
		return nil, &ProtocolError{Message: assignmentName, Field: "version",
			Reason: fmt.Sprintf("version %d is not in [0, %d]", version, MaxAssignmentVersion), err: samsa.ErrUnsupportedVersion}
	}
	merged := a.Partitions
	for i := range a.Partitions {
		if !checkString(a.Partitions[i].Topic) {
			return nil, errTopicTooLong(assignmentName, "AssignedPartitions.topic", a.Partitions[i].Topic)
		}
		if slices.ContainsFunc(a.Partitions[:i], func(tp TopicPartitions) bool { return tp.Topic == a.Partitions[i].Topic }) {
			merged = mergeTopics(a.Partitions)
			break
		}
	}
	b := make([]byte, 0, 32)
	b = appendInt16(b, version)
	b = appendTopicPartitionsArray(b, merged)
	b = appendNullableBytes(b, a.UserData)
	return b, nil
}

func mergeTopics(in []TopicPartitions) []TopicPartitions {
	var out []TopicPartitions
	idx := map[string]int{}
	for _, tp := range in {
		i, ok := idx[tp.Topic]
		if !ok {
			i = len(out)
			idx[tp.Topic] = i
			out = append(out, TopicPartitions{Topic: tp.Topic})
		}
		out[i].Partitions = append(out[i].Partitions, tp.Partitions...)
	}
	return out
}

// DecodeAssignment decodes a ConsumerProtocolAssignment and returns it with
// the version it was written at. A version above MaxAssignmentVersion is
// read as the highest known one and trailing bytes are ignored, as Java
// does. Truncation, a negative version or length, or a null where Java
// forbids one is a *ProtocolError wrapping samsa.ErrMalformedResponse. The
// result never aliases b.
func DecodeAssignment(b []byte) (Assignment, int16, error) {
	r := reader{b: b, what: assignmentName}
	version := r.int16("version")
	if r.err == nil && version < 0 {
		r.fail("version", "negative version %d", version)
	}
	var a Assignment
	a.Partitions = r.topicPartitionsArray("AssignedPartitions")
	a.UserData = r.nullableBytes("UserData")
	if r.err != nil {
		return Assignment{}, version, r.err
	}
	return a, version, nil
}
