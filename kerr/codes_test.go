package kerr

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// namePattern is the shape of every protocol error name in the guide.
var namePattern = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$`)

func TestTableIsCompleteAndConsistent(t *testing.T) {
	list := All()
	require.Len(t, list, 134, "UNKNOWN_SERVER_ERROR (-1) and codes 1 to 133")

	names := make(map[string]int16, len(list))
	codes := make(map[int16]string, len(list))
	for i, e := range list {
		require.NotNil(t, e, "entry %d", i)
		t.Run(e.Name, func(t *testing.T) {
			prev, dup := names[e.Name]
			assert.False(t, dup, "name %s used by codes %d and %d", e.Name, prev, e.Code)
			names[e.Name] = e.Code
			prevName, dup := codes[e.Code]
			assert.False(t, dup, "code %d used by %s and %s", e.Code, prevName, e.Name)
			codes[e.Code] = e.Name

			assert.Regexp(t, namePattern, e.Name)
			assert.False(t, strings.HasPrefix(e.Name, unknownPrefix))
			assert.NotEmpty(t, e.Description)
			assert.True(t, strings.HasSuffix(e.Description, "."), "description %q", e.Description)

			// code → value → code and name → value → name.
			assert.Same(t, e, ForCode(e.Code))
			assert.Same(t, e, ForName(e.Name))
			assert.Equal(t, e.Code, CodeOf(e))
		})
	}

	// Sorted, no gaps: -1, then 1..133.
	assert.Equal(t, int16(-1), list[0].Code)
	for i := 1; i < len(list); i++ {
		assert.Equal(t, int16(i), list[i].Code, "entry %d", i)
	}
}

func TestSentinelNamesAndCodes(t *testing.T) {
	tests := []struct {
		err  *Error
		name string
		code int16
	}{
		{UnknownServerError, "UNKNOWN_SERVER_ERROR", -1},
		{OffsetOutOfRange, "OFFSET_OUT_OF_RANGE", 1},
		{CorruptMessage, "CORRUPT_MESSAGE", 2},
		{UnknownTopicOrPartition, "UNKNOWN_TOPIC_OR_PARTITION", 3},
		{NotLeaderOrFollower, "NOT_LEADER_OR_FOLLOWER", 6},
		{RequestTimedOut, "REQUEST_TIMED_OUT", 7},
		{MessageTooLarge, "MESSAGE_TOO_LARGE", 10},
		{NetworkException, "NETWORK_EXCEPTION", 13},
		{NotCoordinator, "NOT_COORDINATOR", 16},
		{InvalidTopicException, "INVALID_TOPIC_EXCEPTION", 17},
		{RecordListTooLarge, "RECORD_LIST_TOO_LARGE", 18},
		{IllegalGeneration, "ILLEGAL_GENERATION", 22},
		{UnknownMemberID, "UNKNOWN_MEMBER_ID", 25},
		{RebalanceInProgress, "REBALANCE_IN_PROGRESS", 27},
		{UnsupportedSASLMechanism, "UNSUPPORTED_SASL_MECHANISM", 33},
		{UnsupportedVersion, "UNSUPPORTED_VERSION", 35},
		{TopicAlreadyExists, "TOPIC_ALREADY_EXISTS", 36},
		{OutOfOrderSequenceNumber, "OUT_OF_ORDER_SEQUENCE_NUMBER", 45},
		{DuplicateSequenceNumber, "DUPLICATE_SEQUENCE_NUMBER", 46},
		{InvalidProducerEpoch, "INVALID_PRODUCER_EPOCH", 47},
		{InvalidTxnState, "INVALID_TXN_STATE", 48},
		{InvalidProducerIDMapping, "INVALID_PRODUCER_ID_MAPPING", 49},
		{ConcurrentTransactions, "CONCURRENT_TRANSACTIONS", 51},
		{KafkaStorageError, "KAFKA_STORAGE_ERROR", 56},
		{SASLAuthenticationFailed, "SASL_AUTHENTICATION_FAILED", 58},
		{UnknownProducerID, "UNKNOWN_PRODUCER_ID", 59},
		{FetchSessionIDNotFound, "FETCH_SESSION_ID_NOT_FOUND", 70},
		{FencedLeaderEpoch, "FENCED_LEADER_EPOCH", 74},
		{MemberIDRequired, "MEMBER_ID_REQUIRED", 79},
		{FencedInstanceID, "FENCED_INSTANCE_ID", 82},
		{InvalidRecord, "INVALID_RECORD", 87},
		{ThrottlingQuotaExceeded, "THROTTLING_QUOTA_EXCEEDED", 89},
		{ProducerFenced, "PRODUCER_FENCED", 90},
		{UnknownTopicID, "UNKNOWN_TOPIC_ID", 100},
		{FencedMemberEpoch, "FENCED_MEMBER_EPOCH", 110},
		{StaleMemberEpoch, "STALE_MEMBER_EPOCH", 113},
		{TransactionAbortable, "TRANSACTION_ABORTABLE", 120},
		{RebootstrapRequired, "REBOOTSTRAP_REQUIRED", 129},
		{ShareSessionLimitReached, "SHARE_SESSION_LIMIT_REACHED", 133},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotNil(t, tt.err)
			assert.Equal(t, tt.name, tt.err.Name)
			assert.Equal(t, tt.code, tt.err.Code)
		})
	}
}

// TestRetriableMatchesGuide spot-checks the "Retriable" column of the
// protocol guide, including the entries that are easy to get wrong.
func TestRetriableMatchesGuide(t *testing.T) {
	tests := []struct {
		err       *Error
		retriable bool
	}{
		{UnknownServerError, false},
		{OffsetOutOfRange, false},
		{CorruptMessage, true},
		{UnknownTopicOrPartition, true},
		{LeaderNotAvailable, true},
		{NotLeaderOrFollower, true},
		{RequestTimedOut, true},
		{BrokerNotAvailable, false},
		{ReplicaNotAvailable, true},
		{MessageTooLarge, false},
		{NetworkException, true},
		{CoordinatorLoadInProgress, true},
		{CoordinatorNotAvailable, true},
		{NotCoordinator, true},
		{NotEnoughReplicas, true},
		{NotEnoughReplicasAfterAppend, true},
		{IllegalGeneration, false},
		{UnknownMemberID, false},
		{RebalanceInProgress, false},
		{TopicAuthorizationFailed, false},
		{UnsupportedVersion, false},
		{NotController, true},
		{OutOfOrderSequenceNumber, false},
		{DuplicateSequenceNumber, false},
		{ConcurrentTransactions, true},
		{KafkaStorageError, true},
		{UnknownProducerID, false},
		{FetchSessionIDNotFound, true},
		{InvalidFetchSessionEpoch, true},
		{ListenerNotFound, true},
		{FencedLeaderEpoch, true},
		{UnknownLeaderEpoch, true},
		{OffsetNotAvailable, true},
		{MemberIDRequired, false},
		{PreferredLeaderNotAvailable, true},
		{FencedInstanceID, false},
		{EligibleLeadersNotAvailable, true},
		{ElectionNotNeeded, true},
		{InvalidRecord, false},
		{UnstableOffsetCommit, true},
		{ThrottlingQuotaExceeded, true},
		{ProducerFenced, false},
		{UnknownTopicID, true},
		{InconsistentTopicID, true},
		{FetchSessionTopicIDError, true},
		{StaleMemberEpoch, false},
		{TransactionAbortable, false},
		{ShareSessionNotFound, true},
		{InvalidShareSessionEpoch, true},
		{RebootstrapRequired, false},
		{ShareSessionLimitReached, true},
	}
	for _, tt := range tests {
		t.Run(tt.err.Name, func(t *testing.T) {
			assert.Equal(t, tt.retriable, tt.err.Retriable)
			assert.Equal(t, tt.retriable, IsRetriable(tt.err))
		})
	}

	n := 0
	for _, e := range All() {
		if e.Retriable {
			n++
		}
	}
	assert.Equal(t, 32, n, "the guide marks 32 codes retriable")
}
