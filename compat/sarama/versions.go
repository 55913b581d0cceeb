package saramacompat

import "github.com/IBM/sarama"

// API keys samsa's producer and consumer send; the version caps below are
// given for these.
const (
	keyProduce         int16 = 0
	keyFetch           int16 = 1
	keyListOffsets     int16 = 2
	keyMetadata        int16 = 3
	keyOffsetCommit    int16 = 8
	keyOffsetFetch     int16 = 9
	keyFindCoordinator int16 = 10
	keyJoinGroup       int16 = 11
	keyHeartbeat       int16 = 12
	keyLeaveGroup      int16 = 13
	keySyncGroup       int16 = 14
	keyDescribeGroups  int16 = 15
	keyListGroups      int16 = 16
	keySaslHandshake   int16 = 17
	keyApiVersions     int16 = 18
	keyCreateTopics    int16 = 19
	keyInitProducerID  int16 = 22
	keySaslAuth        int16 = 36
)

var capKeys = [...]int16{
	keyProduce, keyFetch, keyListOffsets, keyMetadata, keyOffsetCommit, keyOffsetFetch,
	keyFindCoordinator, keyJoinGroup, keyHeartbeat, keyLeaveGroup, keySyncGroup,
	keyDescribeGroups, keyListGroups, keySaslHandshake, keyApiVersions, keyCreateTopics,
	keyInitProducerID, keySaslAuth,
}

// release is a Kafka release and the highest version of each API in
// capKeys (same order) that it supports, -1 for an API it does not have.
type release struct {
	v   sarama.KafkaVersion
	max [len(capKeys)]int16
}

// releases lists the Kafka releases from 0.11 (the first with record batch
// v2, the only format samsa writes) in ascending order, with the API
// versions each one introduced, as the Kafka protocol guide and the
// releases' ApiVersions answers give them.
var releases = []release{
	{sarama.V0_11_0_0, [...]int16{3, 5, 2, 4, 3, 3, 1, 2, 1, 1, 1, 1, 1, 0, 1, 2, 0, -1}},
	{sarama.V1_0_0_0, [...]int16{5, 6, 2, 5, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 1, 2, 0, 0}},
	{sarama.V1_1_0_0, [...]int16{5, 7, 2, 5, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 1, 2, 0, 0}},
	{sarama.V2_0_0_0, [...]int16{6, 8, 3, 6, 4, 4, 2, 3, 2, 2, 2, 2, 2, 1, 2, 3, 1, 0}},
	{sarama.V2_1_0_0, [...]int16{7, 10, 4, 7, 6, 5, 2, 3, 2, 2, 2, 2, 2, 1, 2, 3, 1, 0}},
	{sarama.V2_2_0_0, [...]int16{7, 10, 5, 7, 6, 5, 2, 4, 2, 2, 2, 2, 2, 1, 2, 3, 1, 1}},
	{sarama.V2_3_0_0, [...]int16{7, 11, 5, 8, 7, 5, 2, 5, 3, 2, 3, 3, 2, 1, 2, 3, 1, 1}},
	{sarama.V2_4_0_0, [...]int16{8, 11, 5, 9, 8, 6, 3, 6, 4, 4, 4, 5, 3, 1, 3, 5, 2, 1}},
	{sarama.V2_5_0_0, [...]int16{8, 11, 5, 9, 8, 7, 3, 7, 4, 4, 5, 5, 3, 1, 3, 5, 3, 2}},
	{sarama.V2_6_0_0, [...]int16{8, 11, 5, 9, 8, 7, 3, 7, 4, 4, 5, 5, 4, 1, 3, 5, 3, 2}},
	{sarama.V2_7_0_0, [...]int16{8, 12, 5, 9, 8, 7, 3, 7, 4, 4, 5, 5, 4, 1, 3, 6, 4, 2}},
	{sarama.V2_8_0_0, [...]int16{9, 12, 6, 11, 8, 7, 3, 7, 4, 4, 5, 5, 4, 1, 3, 7, 4, 2}},
	{sarama.V3_0_0_0, [...]int16{9, 12, 7, 11, 8, 8, 4, 7, 4, 4, 5, 5, 4, 1, 3, 7, 4, 2}},
	{sarama.V3_1_0_0, [...]int16{9, 13, 7, 12, 8, 8, 4, 7, 4, 4, 5, 5, 4, 1, 3, 7, 4, 2}},
	{sarama.V3_2_0_0, [...]int16{9, 13, 7, 12, 8, 8, 4, 9, 4, 5, 5, 5, 4, 1, 3, 7, 4, 2}},
	{sarama.V3_5_0_0, [...]int16{9, 15, 8, 12, 8, 8, 4, 9, 4, 5, 5, 5, 4, 1, 3, 7, 4, 2}},
	{sarama.V3_7_0_0, [...]int16{10, 16, 8, 12, 9, 9, 4, 9, 4, 5, 5, 5, 4, 1, 3, 7, 4, 2}},
	{sarama.V3_8_0_0, [...]int16{11, 16, 8, 12, 9, 9, 5, 9, 4, 5, 5, 5, 5, 1, 3, 7, 5, 2}},
	{sarama.V3_9_0_0, [...]int16{11, 17, 9, 12, 9, 9, 6, 9, 4, 5, 5, 5, 5, 1, 4, 7, 5, 2}},
	{sarama.V4_0_0_0, [...]int16{12, 17, 10, 13, 9, 9, 6, 9, 4, 5, 5, 6, 5, 1, 4, 7, 5, 2}},
	{sarama.V4_1_0_0, [...]int16{13, 18, 10, 13, 9, 9, 6, 9, 4, 5, 5, 6, 5, 1, 4, 7, 5, 2}},
}

// maxVersions returns the API version caps implied by sarama's
// Config.Version: the versions of the newest release listed that is not
// newer than v (releases after the last one listed are capped at its
// versions, which only keeps samsa from features it has no need for).
// For v older than 0.11 it returns ok false.
func maxVersions(v sarama.KafkaVersion) (caps map[int16]int16, ok bool) {
	var pick *release
	for i := range releases {
		if v.IsAtLeast(releases[i].v) {
			pick = &releases[i]
		}
	}
	if pick == nil {
		return nil, false
	}
	caps = make(map[int16]int16, len(capKeys))
	for i, k := range capKeys {
		if pick.max[i] >= 0 {
			caps[k] = pick.max[i]
		}
	}
	return caps, true
}
