// The error codes of the Kafka protocol, transcribed from the table in the
// protocol guide (https://kafka.apache.org/protocol#protocol_error_codes, as
// of Kafka 4.1): names exactly as the guide spells them, the guide's
// "Retriable" column, and its description. Keep the list sorted by code;
// codes_test.go checks that it has no gaps and no duplicates.

package kerr

// The error codes of the Kafka protocol, one sentinel per code. Compare with
// errors.Is; never modify the values they point to.
var (
	// UnknownServerError is UNKNOWN_SERVER_ERROR, code -1. Not retriable.
	UnknownServerError = &Error{Name: "UNKNOWN_SERVER_ERROR", Code: -1, Retriable: false, Description: "The server experienced an unexpected error when processing the request."}

	// OffsetOutOfRange is OFFSET_OUT_OF_RANGE, code 1. Not retriable.
	OffsetOutOfRange = &Error{Name: "OFFSET_OUT_OF_RANGE", Code: 1, Retriable: false, Description: "The requested offset is not within the range of offsets maintained by the server."}

	// CorruptMessage is CORRUPT_MESSAGE, code 2. Retriable.
	CorruptMessage = &Error{Name: "CORRUPT_MESSAGE", Code: 2, Retriable: true, Description: "This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt."}

	// UnknownTopicOrPartition is UNKNOWN_TOPIC_OR_PARTITION, code 3. Retriable.
	UnknownTopicOrPartition = &Error{Name: "UNKNOWN_TOPIC_OR_PARTITION", Code: 3, Retriable: true, Description: "This server does not host this topic-partition."}

	// InvalidFetchSize is INVALID_FETCH_SIZE, code 4. Not retriable.
	InvalidFetchSize = &Error{Name: "INVALID_FETCH_SIZE", Code: 4, Retriable: false, Description: "The requested fetch size is invalid."}

	// LeaderNotAvailable is LEADER_NOT_AVAILABLE, code 5. Retriable.
	LeaderNotAvailable = &Error{Name: "LEADER_NOT_AVAILABLE", Code: 5, Retriable: true, Description: "There is no leader for this topic-partition as we are in the middle of a leadership election."}

	// NotLeaderOrFollower is NOT_LEADER_OR_FOLLOWER, code 6. Retriable.
	NotLeaderOrFollower = &Error{Name: "NOT_LEADER_OR_FOLLOWER", Code: 6, Retriable: true, Description: "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition."}

	// RequestTimedOut is REQUEST_TIMED_OUT, code 7. Retriable.
	RequestTimedOut = &Error{Name: "REQUEST_TIMED_OUT", Code: 7, Retriable: true, Description: "The request timed out."}

	// BrokerNotAvailable is BROKER_NOT_AVAILABLE, code 8. Not retriable.
	BrokerNotAvailable = &Error{Name: "BROKER_NOT_AVAILABLE", Code: 8, Retriable: false, Description: "The broker is not available."}

	// ReplicaNotAvailable is REPLICA_NOT_AVAILABLE, code 9. Retriable.
	ReplicaNotAvailable = &Error{Name: "REPLICA_NOT_AVAILABLE", Code: 9, Retriable: true, Description: "The replica is not available for the requested topic-partition. Produce/Fetch requests and other requests intended only for the leader or follower return NOT_LEADER_OR_FOLLOWER if the broker is not a replica of the topic-partition."}

	// MessageTooLarge is MESSAGE_TOO_LARGE, code 10. Not retriable.
	MessageTooLarge = &Error{Name: "MESSAGE_TOO_LARGE", Code: 10, Retriable: false, Description: "The request included a message larger than the max message size the server will accept."}

	// StaleControllerEpoch is STALE_CONTROLLER_EPOCH, code 11. Not retriable.
	StaleControllerEpoch = &Error{Name: "STALE_CONTROLLER_EPOCH", Code: 11, Retriable: false, Description: "The controller moved to another broker."}

	// OffsetMetadataTooLarge is OFFSET_METADATA_TOO_LARGE, code 12. Not retriable.
	OffsetMetadataTooLarge = &Error{Name: "OFFSET_METADATA_TOO_LARGE", Code: 12, Retriable: false, Description: "The metadata field of the offset request was too large."}

	// NetworkException is NETWORK_EXCEPTION, code 13. Retriable.
	NetworkException = &Error{Name: "NETWORK_EXCEPTION", Code: 13, Retriable: true, Description: "The server disconnected before a response was received."}

	// CoordinatorLoadInProgress is COORDINATOR_LOAD_IN_PROGRESS, code 14. Retriable.
	CoordinatorLoadInProgress = &Error{Name: "COORDINATOR_LOAD_IN_PROGRESS", Code: 14, Retriable: true, Description: "The coordinator is loading and hence can't process requests."}

	// CoordinatorNotAvailable is COORDINATOR_NOT_AVAILABLE, code 15. Retriable.
	CoordinatorNotAvailable = &Error{Name: "COORDINATOR_NOT_AVAILABLE", Code: 15, Retriable: true, Description: "The coordinator is not available."}

	// NotCoordinator is NOT_COORDINATOR, code 16. Retriable.
	NotCoordinator = &Error{Name: "NOT_COORDINATOR", Code: 16, Retriable: true, Description: "This is not the correct coordinator."}

	// InvalidTopicException is INVALID_TOPIC_EXCEPTION, code 17. Not retriable.
	InvalidTopicException = &Error{Name: "INVALID_TOPIC_EXCEPTION", Code: 17, Retriable: false, Description: "The request attempted to perform an operation on an invalid topic."}

	// RecordListTooLarge is RECORD_LIST_TOO_LARGE, code 18. Not retriable.
	RecordListTooLarge = &Error{Name: "RECORD_LIST_TOO_LARGE", Code: 18, Retriable: false, Description: "The request included message batch larger than the configured segment size on the server."}

	// NotEnoughReplicas is NOT_ENOUGH_REPLICAS, code 19. Retriable.
	NotEnoughReplicas = &Error{Name: "NOT_ENOUGH_REPLICAS", Code: 19, Retriable: true, Description: "Messages are rejected since there are fewer in-sync replicas than required."}

	// NotEnoughReplicasAfterAppend is NOT_ENOUGH_REPLICAS_AFTER_APPEND, code 20. Retriable.
	NotEnoughReplicasAfterAppend = &Error{Name: "NOT_ENOUGH_REPLICAS_AFTER_APPEND", Code: 20, Retriable: true, Description: "Messages are written to the log, but to fewer in-sync replicas than required."}

	// InvalidRequiredAcks is INVALID_REQUIRED_ACKS, code 21. Not retriable.
	InvalidRequiredAcks = &Error{Name: "INVALID_REQUIRED_ACKS", Code: 21, Retriable: false, Description: "Produce request specified an invalid value for required acks."}

	// IllegalGeneration is ILLEGAL_GENERATION, code 22. Not retriable.
	IllegalGeneration = &Error{Name: "ILLEGAL_GENERATION", Code: 22, Retriable: false, Description: "Specified group generation id is not valid."}

	// InconsistentGroupProtocol is INCONSISTENT_GROUP_PROTOCOL, code 23. Not retriable.
	InconsistentGroupProtocol = &Error{Name: "INCONSISTENT_GROUP_PROTOCOL", Code: 23, Retriable: false, Description: "The group member's supported protocols are incompatible with those of existing members or first group member tried to join with empty protocol type or empty protocol list."}

	// InvalidGroupID is INVALID_GROUP_ID, code 24. Not retriable.
	InvalidGroupID = &Error{Name: "INVALID_GROUP_ID", Code: 24, Retriable: false, Description: "The group id is invalid."}

	// UnknownMemberID is UNKNOWN_MEMBER_ID, code 25. Not retriable.
	UnknownMemberID = &Error{Name: "UNKNOWN_MEMBER_ID", Code: 25, Retriable: false, Description: "The coordinator is not aware of this member."}

	// InvalidSessionTimeout is INVALID_SESSION_TIMEOUT, code 26. Not retriable.
	InvalidSessionTimeout = &Error{Name: "INVALID_SESSION_TIMEOUT", Code: 26, Retriable: false, Description: "The session timeout is not within the range allowed by the broker (as configured by group.min.session.timeout.ms and group.max.session.timeout.ms)."}

	// RebalanceInProgress is REBALANCE_IN_PROGRESS, code 27. Not retriable.
	RebalanceInProgress = &Error{Name: "REBALANCE_IN_PROGRESS", Code: 27, Retriable: false, Description: "The group is rebalancing, so a rejoin is needed."}

	// InvalidCommitOffsetSize is INVALID_COMMIT_OFFSET_SIZE, code 28. Not retriable.
	InvalidCommitOffsetSize = &Error{Name: "INVALID_COMMIT_OFFSET_SIZE", Code: 28, Retriable: false, Description: "The committing offset data size is not valid."}

	// TopicAuthorizationFailed is TOPIC_AUTHORIZATION_FAILED, code 29. Not retriable.
	TopicAuthorizationFailed = &Error{Name: "TOPIC_AUTHORIZATION_FAILED", Code: 29, Retriable: false, Description: "Topic authorization failed."}

	// GroupAuthorizationFailed is GROUP_AUTHORIZATION_FAILED, code 30. Not retriable.
	GroupAuthorizationFailed = &Error{Name: "GROUP_AUTHORIZATION_FAILED", Code: 30, Retriable: false, Description: "Group authorization failed."}

	// ClusterAuthorizationFailed is CLUSTER_AUTHORIZATION_FAILED, code 31. Not retriable.
	ClusterAuthorizationFailed = &Error{Name: "CLUSTER_AUTHORIZATION_FAILED", Code: 31, Retriable: false, Description: "Cluster authorization failed."}

	// InvalidTimestamp is INVALID_TIMESTAMP, code 32. Not retriable.
	InvalidTimestamp = &Error{Name: "INVALID_TIMESTAMP", Code: 32, Retriable: false, Description: "The timestamp of the message is out of acceptable range."}

	// UnsupportedSASLMechanism is UNSUPPORTED_SASL_MECHANISM, code 33. Not retriable.
	UnsupportedSASLMechanism = &Error{Name: "UNSUPPORTED_SASL_MECHANISM", Code: 33, Retriable: false, Description: "The broker does not support the requested SASL mechanism."}

	// IllegalSASLState is ILLEGAL_SASL_STATE, code 34. Not retriable.
	IllegalSASLState = &Error{Name: "ILLEGAL_SASL_STATE", Code: 34, Retriable: false, Description: "Request is not valid given the current SASL state."}

	// UnsupportedVersion is UNSUPPORTED_VERSION, code 35. Not retriable.
	UnsupportedVersion = &Error{Name: "UNSUPPORTED_VERSION", Code: 35, Retriable: false, Description: "The version of API is not supported."}

	// TopicAlreadyExists is TOPIC_ALREADY_EXISTS, code 36. Not retriable.
	TopicAlreadyExists = &Error{Name: "TOPIC_ALREADY_EXISTS", Code: 36, Retriable: false, Description: "Topic with this name already exists."}

	// InvalidPartitions is INVALID_PARTITIONS, code 37. Not retriable.
	InvalidPartitions = &Error{Name: "INVALID_PARTITIONS", Code: 37, Retriable: false, Description: "Number of partitions is below 1."}

	// InvalidReplicationFactor is INVALID_REPLICATION_FACTOR, code 38. Not retriable.
	InvalidReplicationFactor = &Error{Name: "INVALID_REPLICATION_FACTOR", Code: 38, Retriable: false, Description: "Replication factor is below 1 or larger than the number of available brokers."}

	// InvalidReplicaAssignment is INVALID_REPLICA_ASSIGNMENT, code 39. Not retriable.
	InvalidReplicaAssignment = &Error{Name: "INVALID_REPLICA_ASSIGNMENT", Code: 39, Retriable: false, Description: "Replica assignment is invalid."}

	// InvalidConfig is INVALID_CONFIG, code 40. Not retriable.
	InvalidConfig = &Error{Name: "INVALID_CONFIG", Code: 40, Retriable: false, Description: "Configuration is invalid."}

	// NotController is NOT_CONTROLLER, code 41. Retriable.
	NotController = &Error{Name: "NOT_CONTROLLER", Code: 41, Retriable: true, Description: "This is not the correct controller for this cluster."}

	// InvalidRequest is INVALID_REQUEST, code 42. Not retriable.
	InvalidRequest = &Error{Name: "INVALID_REQUEST", Code: 42, Retriable: false, Description: "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details."}

	// UnsupportedForMessageFormat is UNSUPPORTED_FOR_MESSAGE_FORMAT, code 43. Not retriable.
	UnsupportedForMessageFormat = &Error{Name: "UNSUPPORTED_FOR_MESSAGE_FORMAT", Code: 43, Retriable: false, Description: "The message format version on the broker does not support the request."}

	// PolicyViolation is POLICY_VIOLATION, code 44. Not retriable.
	PolicyViolation = &Error{Name: "POLICY_VIOLATION", Code: 44, Retriable: false, Description: "Request parameters do not satisfy the configured policy."}

	// OutOfOrderSequenceNumber is OUT_OF_ORDER_SEQUENCE_NUMBER, code 45. Not retriable.
	OutOfOrderSequenceNumber = &Error{Name: "OUT_OF_ORDER_SEQUENCE_NUMBER", Code: 45, Retriable: false, Description: "The broker received an out of order sequence number."}

	// DuplicateSequenceNumber is DUPLICATE_SEQUENCE_NUMBER, code 46. Not retriable.
	DuplicateSequenceNumber = &Error{Name: "DUPLICATE_SEQUENCE_NUMBER", Code: 46, Retriable: false, Description: "The broker received a duplicate sequence number."}

	// InvalidProducerEpoch is INVALID_PRODUCER_EPOCH, code 47. Not retriable.
	InvalidProducerEpoch = &Error{Name: "INVALID_PRODUCER_EPOCH", Code: 47, Retriable: false, Description: "Producer attempted to produce with an old epoch."}

	// InvalidTxnState is INVALID_TXN_STATE, code 48. Not retriable.
	InvalidTxnState = &Error{Name: "INVALID_TXN_STATE", Code: 48, Retriable: false, Description: "The producer attempted a transactional operation in an invalid state."}

	// InvalidProducerIDMapping is INVALID_PRODUCER_ID_MAPPING, code 49. Not retriable.
	InvalidProducerIDMapping = &Error{Name: "INVALID_PRODUCER_ID_MAPPING", Code: 49, Retriable: false, Description: "The producer attempted to use a producer id which is not currently assigned to its transactional id."}

	// InvalidTransactionTimeout is INVALID_TRANSACTION_TIMEOUT, code 50. Not retriable.
	InvalidTransactionTimeout = &Error{Name: "INVALID_TRANSACTION_TIMEOUT", Code: 50, Retriable: false, Description: "The transaction timeout is larger than the maximum value allowed by the broker (as configured by transaction.max.timeout.ms)."}

	// ConcurrentTransactions is CONCURRENT_TRANSACTIONS, code 51. Retriable.
	ConcurrentTransactions = &Error{Name: "CONCURRENT_TRANSACTIONS", Code: 51, Retriable: true, Description: "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing."}

	// TransactionCoordinatorFenced is TRANSACTION_COORDINATOR_FENCED, code 52. Not retriable.
	TransactionCoordinatorFenced = &Error{Name: "TRANSACTION_COORDINATOR_FENCED", Code: 52, Retriable: false, Description: "Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer."}

	// TransactionalIDAuthorizationFailed is TRANSACTIONAL_ID_AUTHORIZATION_FAILED, code 53. Not retriable.
	TransactionalIDAuthorizationFailed = &Error{Name: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", Code: 53, Retriable: false, Description: "Transactional Id authorization failed."}

	// SecurityDisabled is SECURITY_DISABLED, code 54. Not retriable.
	SecurityDisabled = &Error{Name: "SECURITY_DISABLED", Code: 54, Retriable: false, Description: "Security features are disabled."}

	// OperationNotAttempted is OPERATION_NOT_ATTEMPTED, code 55. Not retriable.
	OperationNotAttempted = &Error{Name: "OPERATION_NOT_ATTEMPTED", Code: 55, Retriable: false, Description: "The broker did not attempt to execute this operation. This may happen for batched RPCs where some operations in the batch failed, causing the broker to respond without trying the rest."}

	// KafkaStorageError is KAFKA_STORAGE_ERROR, code 56. Retriable.
	KafkaStorageError = &Error{Name: "KAFKA_STORAGE_ERROR", Code: 56, Retriable: true, Description: "Disk error when trying to access log file on the disk."}

	// LogDirNotFound is LOG_DIR_NOT_FOUND, code 57. Not retriable.
	LogDirNotFound = &Error{Name: "LOG_DIR_NOT_FOUND", Code: 57, Retriable: false, Description: "The user-specified log directory is not found in the broker config."}

	// SASLAuthenticationFailed is SASL_AUTHENTICATION_FAILED, code 58. Not retriable.
	SASLAuthenticationFailed = &Error{Name: "SASL_AUTHENTICATION_FAILED", Code: 58, Retriable: false, Description: "SASL Authentication failed."}

	// UnknownProducerID is UNKNOWN_PRODUCER_ID, code 59. Not retriable.
	UnknownProducerID = &Error{Name: "UNKNOWN_PRODUCER_ID", Code: 59, Retriable: false, Description: "This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question. This could happen if, for instance, the producer's records were deleted because their retention time had elapsed. Once the last records of the producerId are removed, the producer's metadata is removed from the broker, and future appends by the producer will return this exception."}

	// ReassignmentInProgress is REASSIGNMENT_IN_PROGRESS, code 60. Not retriable.
	ReassignmentInProgress = &Error{Name: "REASSIGNMENT_IN_PROGRESS", Code: 60, Retriable: false, Description: "A partition reassignment is in progress."}

	// DelegationTokenAuthDisabled is DELEGATION_TOKEN_AUTH_DISABLED, code 61. Not retriable.
	DelegationTokenAuthDisabled = &Error{Name: "DELEGATION_TOKEN_AUTH_DISABLED", Code: 61, Retriable: false, Description: "Delegation Token feature is not enabled."}

	// DelegationTokenNotFound is DELEGATION_TOKEN_NOT_FOUND, code 62. Not retriable.
	DelegationTokenNotFound = &Error{Name: "DELEGATION_TOKEN_NOT_FOUND", Code: 62, Retriable: false, Description: "Delegation Token is not found on server."}

	// DelegationTokenOwnerMismatch is DELEGATION_TOKEN_OWNER_MISMATCH, code 63. Not retriable.
	DelegationTokenOwnerMismatch = &Error{Name: "DELEGATION_TOKEN_OWNER_MISMATCH", Code: 63, Retriable: false, Description: "Specified Principal is not valid Owner/Renewer."}

	// DelegationTokenRequestNotAllowed is DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, code 64. Not retriable.
	DelegationTokenRequestNotAllowed = &Error{Name: "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", Code: 64, Retriable: false, Description: "Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels."}

	// DelegationTokenAuthorizationFailed is DELEGATION_TOKEN_AUTHORIZATION_FAILED, code 65. Not retriable.
	DelegationTokenAuthorizationFailed = &Error{Name: "DELEGATION_TOKEN_AUTHORIZATION_FAILED", Code: 65, Retriable: false, Description: "Delegation Token authorization failed."}

	// DelegationTokenExpired is DELEGATION_TOKEN_EXPIRED, code 66. Not retriable.
	DelegationTokenExpired = &Error{Name: "DELEGATION_TOKEN_EXPIRED", Code: 66, Retriable: false, Description: "Delegation Token is expired."}

	// InvalidPrincipalType is INVALID_PRINCIPAL_TYPE, code 67. Not retriable.
	InvalidPrincipalType = &Error{Name: "INVALID_PRINCIPAL_TYPE", Code: 67, Retriable: false, Description: "Supplied principalType is not supported."}

	// NonEmptyGroup is NON_EMPTY_GROUP, code 68. Not retriable.
	NonEmptyGroup = &Error{Name: "NON_EMPTY_GROUP", Code: 68, Retriable: false, Description: "The group is not empty."}

	// GroupIDNotFound is GROUP_ID_NOT_FOUND, code 69. Not retriable.
	GroupIDNotFound = &Error{Name: "GROUP_ID_NOT_FOUND", Code: 69, Retriable: false, Description: "The group id does not exist."}

	// FetchSessionIDNotFound is FETCH_SESSION_ID_NOT_FOUND, code 70. Retriable.
	FetchSessionIDNotFound = &Error{Name: "FETCH_SESSION_ID_NOT_FOUND", Code: 70, Retriable: true, Description: "The fetch session ID was not found."}

	// InvalidFetchSessionEpoch is INVALID_FETCH_SESSION_EPOCH, code 71. Retriable.
	InvalidFetchSessionEpoch = &Error{Name: "INVALID_FETCH_SESSION_EPOCH", Code: 71, Retriable: true, Description: "The fetch session epoch is invalid."}

	// ListenerNotFound is LISTENER_NOT_FOUND, code 72. Retriable.
	ListenerNotFound = &Error{Name: "LISTENER_NOT_FOUND", Code: 72, Retriable: true, Description: "There is no listener on the leader broker that matches the listener on which metadata request was processed."}

	// TopicDeletionDisabled is TOPIC_DELETION_DISABLED, code 73. Not retriable.
	TopicDeletionDisabled = &Error{Name: "TOPIC_DELETION_DISABLED", Code: 73, Retriable: false, Description: "Topic deletion is disabled."}

	// FencedLeaderEpoch is FENCED_LEADER_EPOCH, code 74. Retriable.
	FencedLeaderEpoch = &Error{Name: "FENCED_LEADER_EPOCH", Code: 74, Retriable: true, Description: "The leader epoch in the request is older than the epoch on the broker."}

	// UnknownLeaderEpoch is UNKNOWN_LEADER_EPOCH, code 75. Retriable.
	UnknownLeaderEpoch = &Error{Name: "UNKNOWN_LEADER_EPOCH", Code: 75, Retriable: true, Description: "The leader epoch in the request is newer than the epoch on the broker."}

	// UnsupportedCompressionType is UNSUPPORTED_COMPRESSION_TYPE, code 76. Not retriable.
	UnsupportedCompressionType = &Error{Name: "UNSUPPORTED_COMPRESSION_TYPE", Code: 76, Retriable: false, Description: "The requesting client does not support the compression type of given partition."}

	// StaleBrokerEpoch is STALE_BROKER_EPOCH, code 77. Not retriable.
	StaleBrokerEpoch = &Error{Name: "STALE_BROKER_EPOCH", Code: 77, Retriable: false, Description: "Broker epoch has changed."}

	// OffsetNotAvailable is OFFSET_NOT_AVAILABLE, code 78. Retriable.
	OffsetNotAvailable = &Error{Name: "OFFSET_NOT_AVAILABLE", Code: 78, Retriable: true, Description: "The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing."}

	// MemberIDRequired is MEMBER_ID_REQUIRED, code 79. Not retriable.
	MemberIDRequired = &Error{Name: "MEMBER_ID_REQUIRED", Code: 79, Retriable: false, Description: "The group member needs to have a valid member id before actually entering a consumer group."}

	// PreferredLeaderNotAvailable is PREFERRED_LEADER_NOT_AVAILABLE, code 80. Retriable.
	PreferredLeaderNotAvailable = &Error{Name: "PREFERRED_LEADER_NOT_AVAILABLE", Code: 80, Retriable: true, Description: "The preferred leader was not available."}

	// GroupMaxSizeReached is GROUP_MAX_SIZE_REACHED, code 81. Not retriable.
	GroupMaxSizeReached = &Error{Name: "GROUP_MAX_SIZE_REACHED", Code: 81, Retriable: false, Description: "The group has reached its maximum size."}

	// FencedInstanceID is FENCED_INSTANCE_ID, code 82. Not retriable.
	FencedInstanceID = &Error{Name: "FENCED_INSTANCE_ID", Code: 82, Retriable: false, Description: "The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id."}

	// EligibleLeadersNotAvailable is ELIGIBLE_LEADERS_NOT_AVAILABLE, code 83. Retriable.
	EligibleLeadersNotAvailable = &Error{Name: "ELIGIBLE_LEADERS_NOT_AVAILABLE", Code: 83, Retriable: true, Description: "Eligible topic partition leaders are not available."}

	// ElectionNotNeeded is ELECTION_NOT_NEEDED, code 84. Retriable.
	ElectionNotNeeded = &Error{Name: "ELECTION_NOT_NEEDED", Code: 84, Retriable: true, Description: "Leader election not needed for topic partition."}

	// NoReassignmentInProgress is NO_REASSIGNMENT_IN_PROGRESS, code 85. Not retriable.
	NoReassignmentInProgress = &Error{Name: "NO_REASSIGNMENT_IN_PROGRESS", Code: 85, Retriable: false, Description: "No partition reassignment is in progress."}

	// GroupSubscribedToTopic is GROUP_SUBSCRIBED_TO_TOPIC, code 86. Not retriable.
	GroupSubscribedToTopic = &Error{Name: "GROUP_SUBSCRIBED_TO_TOPIC", Code: 86, Retriable: false, Description: "Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it."}

	// InvalidRecord is INVALID_RECORD, code 87. Not retriable.
	InvalidRecord = &Error{Name: "INVALID_RECORD", Code: 87, Retriable: false, Description: "This record has failed the validation on broker and hence will be rejected."}

	// UnstableOffsetCommit is UNSTABLE_OFFSET_COMMIT, code 88. Retriable.
	UnstableOffsetCommit = &Error{Name: "UNSTABLE_OFFSET_COMMIT", Code: 88, Retriable: true, Description: "There are unstable offsets that need to be cleared."}

	// ThrottlingQuotaExceeded is THROTTLING_QUOTA_EXCEEDED, code 89. Retriable.
	ThrottlingQuotaExceeded = &Error{Name: "THROTTLING_QUOTA_EXCEEDED", Code: 89, Retriable: true, Description: "The throttling quota has been exceeded."}

	// ProducerFenced is PRODUCER_FENCED, code 90. Not retriable.
	ProducerFenced = &Error{Name: "PRODUCER_FENCED", Code: 90, Retriable: false, Description: "There is a newer producer with the same transactionalId which fences the current one."}

	// ResourceNotFound is RESOURCE_NOT_FOUND, code 91. Not retriable.
	ResourceNotFound = &Error{Name: "RESOURCE_NOT_FOUND", Code: 91, Retriable: false, Description: "A request illegally referred to a resource that does not exist."}

	// DuplicateResource is DUPLICATE_RESOURCE, code 92. Not retriable.
	DuplicateResource = &Error{Name: "DUPLICATE_RESOURCE", Code: 92, Retriable: false, Description: "A request illegally referred to the same resource twice."}

	// UnacceptableCredential is UNACCEPTABLE_CREDENTIAL, code 93. Not retriable.
	UnacceptableCredential = &Error{Name: "UNACCEPTABLE_CREDENTIAL", Code: 93, Retriable: false, Description: "Requested credential would not meet criteria for acceptability."}

	// InconsistentVoterSet is INCONSISTENT_VOTER_SET, code 94. Not retriable.
	InconsistentVoterSet = &Error{Name: "INCONSISTENT_VOTER_SET", Code: 94, Retriable: false, Description: "Indicates that the either the sender or recipient of a voter-only request is not one of the expected voters."}

	// InvalidUpdateVersion is INVALID_UPDATE_VERSION, code 95. Not retriable.
	InvalidUpdateVersion = &Error{Name: "INVALID_UPDATE_VERSION", Code: 95, Retriable: false, Description: "The given update version was invalid."}

	// FeatureUpdateFailed is FEATURE_UPDATE_FAILED, code 96. Not retriable.
	FeatureUpdateFailed = &Error{Name: "FEATURE_UPDATE_FAILED", Code: 96, Retriable: false, Description: "Unable to update finalized features due to an unexpected server error."}

	// PrincipalDeserializationFailure is PRINCIPAL_DESERIALIZATION_FAILURE, code 97. Not retriable.
	PrincipalDeserializationFailure = &Error{Name: "PRINCIPAL_DESERIALIZATION_FAILURE", Code: 97, Retriable: false, Description: "Request principal deserialization failed during forwarding. This indicates an internal error on the broker cluster security setup."}

	// SnapshotNotFound is SNAPSHOT_NOT_FOUND, code 98. Not retriable.
	SnapshotNotFound = &Error{Name: "SNAPSHOT_NOT_FOUND", Code: 98, Retriable: false, Description: "Requested snapshot was not found."}

	// PositionOutOfRange is POSITION_OUT_OF_RANGE, code 99. Not retriable.
	PositionOutOfRange = &Error{Name: "POSITION_OUT_OF_RANGE", Code: 99, Retriable: false, Description: "Requested position is not greater than or equal to zero, and less than the size of the snapshot."}

	// UnknownTopicID is UNKNOWN_TOPIC_ID, code 100. Retriable.
	UnknownTopicID = &Error{Name: "UNKNOWN_TOPIC_ID", Code: 100, Retriable: true, Description: "This server does not host this topic ID."}

	// DuplicateBrokerRegistration is DUPLICATE_BROKER_REGISTRATION, code 101. Not retriable.
	DuplicateBrokerRegistration = &Error{Name: "DUPLICATE_BROKER_REGISTRATION", Code: 101, Retriable: false, Description: "This broker ID is already in use."}

	// BrokerIDNotRegistered is BROKER_ID_NOT_REGISTERED, code 102. Not retriable.
	BrokerIDNotRegistered = &Error{Name: "BROKER_ID_NOT_REGISTERED", Code: 102, Retriable: false, Description: "The given broker ID was not registered."}

	// InconsistentTopicID is INCONSISTENT_TOPIC_ID, code 103. Retriable.
	InconsistentTopicID = &Error{Name: "INCONSISTENT_TOPIC_ID", Code: 103, Retriable: true, Description: "The log's topic ID did not match the topic ID in the request."}

	// InconsistentClusterID is INCONSISTENT_CLUSTER_ID, code 104. Not retriable.
	InconsistentClusterID = &Error{Name: "INCONSISTENT_CLUSTER_ID", Code: 104, Retriable: false, Description: "The clusterId in the request does not match that found on the server."}

	// TransactionalIDNotFound is TRANSACTIONAL_ID_NOT_FOUND, code 105. Not retriable.
	TransactionalIDNotFound = &Error{Name: "TRANSACTIONAL_ID_NOT_FOUND", Code: 105, Retriable: false, Description: "The transactionalId could not be found."}

	// FetchSessionTopicIDError is FETCH_SESSION_TOPIC_ID_ERROR, code 106. Retriable.
	FetchSessionTopicIDError = &Error{Name: "FETCH_SESSION_TOPIC_ID_ERROR", Code: 106, Retriable: true, Description: "The fetch session encountered inconsistent topic ID usage."}

	// IneligibleReplica is INELIGIBLE_REPLICA, code 107. Not retriable.
	IneligibleReplica = &Error{Name: "INELIGIBLE_REPLICA", Code: 107, Retriable: false, Description: "The new ISR contains at least one ineligible replica."}

	// NewLeaderElected is NEW_LEADER_ELECTED, code 108. Not retriable.
	NewLeaderElected = &Error{Name: "NEW_LEADER_ELECTED", Code: 108, Retriable: false, Description: "The AlterPartition request successfully updated the partition state but the leader has changed."}

	// OffsetMovedToTieredStorage is OFFSET_MOVED_TO_TIERED_STORAGE, code 109. Not retriable.
	OffsetMovedToTieredStorage = &Error{Name: "OFFSET_MOVED_TO_TIERED_STORAGE", Code: 109, Retriable: false, Description: "The requested offset is moved to tiered storage."}

	// FencedMemberEpoch is FENCED_MEMBER_EPOCH, code 110. Not retriable.
	FencedMemberEpoch = &Error{Name: "FENCED_MEMBER_EPOCH", Code: 110, Retriable: false, Description: "The member epoch is fenced by the group coordinator. The member must abandon all its partitions and rejoin."}

	// UnreleasedInstanceID is UNRELEASED_INSTANCE_ID, code 111. Not retriable.
	UnreleasedInstanceID = &Error{Name: "UNRELEASED_INSTANCE_ID", Code: 111, Retriable: false, Description: "The instance ID is still used by another member in the consumer group. That member must leave first."}

	// UnsupportedAssignor is UNSUPPORTED_ASSIGNOR, code 112. Not retriable.
	UnsupportedAssignor = &Error{Name: "UNSUPPORTED_ASSIGNOR", Code: 112, Retriable: false, Description: "The assignor or its version range is not supported by the consumer group."}

	// StaleMemberEpoch is STALE_MEMBER_EPOCH, code 113. Not retriable.
	StaleMemberEpoch = &Error{Name: "STALE_MEMBER_EPOCH", Code: 113, Retriable: false, Description: "The member epoch is stale. The member must retry after receiving its updated member epoch via the ConsumerGroupHeartbeat API."}

	// MismatchedEndpointType is MISMATCHED_ENDPOINT_TYPE, code 114. Not retriable.
	MismatchedEndpointType = &Error{Name: "MISMATCHED_ENDPOINT_TYPE", Code: 114, Retriable: false, Description: "The request was sent to an endpoint of the wrong type."}

	// UnsupportedEndpointType is UNSUPPORTED_ENDPOINT_TYPE, code 115. Not retriable.
	UnsupportedEndpointType = &Error{Name: "UNSUPPORTED_ENDPOINT_TYPE", Code: 115, Retriable: false, Description: "This endpoint type is not supported yet."}

	// UnknownControllerID is UNKNOWN_CONTROLLER_ID, code 116. Not retriable.
	UnknownControllerID = &Error{Name: "UNKNOWN_CONTROLLER_ID", Code: 116, Retriable: false, Description: "This controller ID is not known."}

	// UnknownSubscriptionID is UNKNOWN_SUBSCRIPTION_ID, code 117. Not retriable.
	UnknownSubscriptionID = &Error{Name: "UNKNOWN_SUBSCRIPTION_ID", Code: 117, Retriable: false, Description: "Client sent a push telemetry request with an invalid or outdated subscription ID."}

	// TelemetryTooLarge is TELEMETRY_TOO_LARGE, code 118. Not retriable.
	TelemetryTooLarge = &Error{Name: "TELEMETRY_TOO_LARGE", Code: 118, Retriable: false, Description: "Client sent a push telemetry request larger than the maximum size the broker will accept."}

	// InvalidRegistration is INVALID_REGISTRATION, code 119. Not retriable.
	InvalidRegistration = &Error{Name: "INVALID_REGISTRATION", Code: 119, Retriable: false, Description: "The controller has considered the broker registration to be invalid."}

	// TransactionAbortable is TRANSACTION_ABORTABLE, code 120. Not retriable.
	TransactionAbortable = &Error{Name: "TRANSACTION_ABORTABLE", Code: 120, Retriable: false, Description: "The server encountered an error with the transaction. The client can abort the transaction to continue using this transactional ID."}

	// InvalidRecordState is INVALID_RECORD_STATE, code 121. Not retriable.
	InvalidRecordState = &Error{Name: "INVALID_RECORD_STATE", Code: 121, Retriable: false, Description: "The record state is invalid. The acknowledgement of delivery could not be completed."}

	// ShareSessionNotFound is SHARE_SESSION_NOT_FOUND, code 122. Retriable.
	ShareSessionNotFound = &Error{Name: "SHARE_SESSION_NOT_FOUND", Code: 122, Retriable: true, Description: "The share session was not found."}

	// InvalidShareSessionEpoch is INVALID_SHARE_SESSION_EPOCH, code 123. Retriable.
	InvalidShareSessionEpoch = &Error{Name: "INVALID_SHARE_SESSION_EPOCH", Code: 123, Retriable: true, Description: "The share session epoch is invalid."}

	// FencedStateEpoch is FENCED_STATE_EPOCH, code 124. Not retriable.
	FencedStateEpoch = &Error{Name: "FENCED_STATE_EPOCH", Code: 124, Retriable: false, Description: "The share coordinator rejected the request because the share-group state epoch did not match."}

	// InvalidVoterKey is INVALID_VOTER_KEY, code 125. Not retriable.
	InvalidVoterKey = &Error{Name: "INVALID_VOTER_KEY", Code: 125, Retriable: false, Description: "The voter key doesn't match the receiving replica's key."}

	// DuplicateVoter is DUPLICATE_VOTER, code 126. Not retriable.
	DuplicateVoter = &Error{Name: "DUPLICATE_VOTER", Code: 126, Retriable: false, Description: "The voter is already part of the set of voters."}

	// VoterNotFound is VOTER_NOT_FOUND, code 127. Not retriable.
	VoterNotFound = &Error{Name: "VOTER_NOT_FOUND", Code: 127, Retriable: false, Description: "The voter is not part of the set of voters."}

	// InvalidRegularExpression is INVALID_REGULAR_EXPRESSION, code 128. Not retriable.
	InvalidRegularExpression = &Error{Name: "INVALID_REGULAR_EXPRESSION", Code: 128, Retriable: false, Description: "The regular expression is not valid."}

	// RebootstrapRequired is REBOOTSTRAP_REQUIRED, code 129. Not retriable.
	RebootstrapRequired = &Error{Name: "REBOOTSTRAP_REQUIRED", Code: 129, Retriable: false, Description: "Client metadata is stale. The client should rebootstrap to obtain new metadata."}

	// StreamsInvalidTopology is STREAMS_INVALID_TOPOLOGY, code 130. Not retriable.
	StreamsInvalidTopology = &Error{Name: "STREAMS_INVALID_TOPOLOGY", Code: 130, Retriable: false, Description: "The supplied topology is invalid."}

	// StreamsInvalidTopologyEpoch is STREAMS_INVALID_TOPOLOGY_EPOCH, code 131. Not retriable.
	StreamsInvalidTopologyEpoch = &Error{Name: "STREAMS_INVALID_TOPOLOGY_EPOCH", Code: 131, Retriable: false, Description: "The supplied topology epoch is invalid."}

	// StreamsTopologyFenced is STREAMS_TOPOLOGY_FENCED, code 132. Not retriable.
	StreamsTopologyFenced = &Error{Name: "STREAMS_TOPOLOGY_FENCED", Code: 132, Retriable: false, Description: "The supplied topology epoch is outdated."}

	// ShareSessionLimitReached is SHARE_SESSION_LIMIT_REACHED, code 133. Retriable.
	ShareSessionLimitReached = &Error{Name: "SHARE_SESSION_LIMIT_REACHED", Code: 133, Retriable: true, Description: "The limit of share sessions has been reached."}
)

// all lists every known error in code order. It is read-only after package
// initialization.
var all = [...]*Error{
	UnknownServerError,
	OffsetOutOfRange,
	CorruptMessage,
	UnknownTopicOrPartition,
	InvalidFetchSize,
	LeaderNotAvailable,
	NotLeaderOrFollower,
	RequestTimedOut,
	BrokerNotAvailable,
	ReplicaNotAvailable,
	MessageTooLarge,
	StaleControllerEpoch,
	OffsetMetadataTooLarge,
	NetworkException,
	CoordinatorLoadInProgress,
	CoordinatorNotAvailable,
	NotCoordinator,
	InvalidTopicException,
	RecordListTooLarge,
	NotEnoughReplicas,
	NotEnoughReplicasAfterAppend,
	InvalidRequiredAcks,
	IllegalGeneration,
	InconsistentGroupProtocol,
	InvalidGroupID,
	UnknownMemberID,
	InvalidSessionTimeout,
	RebalanceInProgress,
	InvalidCommitOffsetSize,
	TopicAuthorizationFailed,
	GroupAuthorizationFailed,
	ClusterAuthorizationFailed,
	InvalidTimestamp,
	UnsupportedSASLMechanism,
	IllegalSASLState,
	UnsupportedVersion,
	TopicAlreadyExists,
	InvalidPartitions,
	InvalidReplicationFactor,
	InvalidReplicaAssignment,
	InvalidConfig,
	NotController,
	InvalidRequest,
	UnsupportedForMessageFormat,
	PolicyViolation,
	OutOfOrderSequenceNumber,
	DuplicateSequenceNumber,
	InvalidProducerEpoch,
	InvalidTxnState,
	InvalidProducerIDMapping,
	InvalidTransactionTimeout,
	ConcurrentTransactions,
	TransactionCoordinatorFenced,
	TransactionalIDAuthorizationFailed,
	SecurityDisabled,
	OperationNotAttempted,
	KafkaStorageError,
	LogDirNotFound,
	SASLAuthenticationFailed,
	UnknownProducerID,
	ReassignmentInProgress,
	DelegationTokenAuthDisabled,
	DelegationTokenNotFound,
	DelegationTokenOwnerMismatch,
	DelegationTokenRequestNotAllowed,
	DelegationTokenAuthorizationFailed,
	DelegationTokenExpired,
	InvalidPrincipalType,
	NonEmptyGroup,
	GroupIDNotFound,
	FetchSessionIDNotFound,
	InvalidFetchSessionEpoch,
	ListenerNotFound,
	TopicDeletionDisabled,
	FencedLeaderEpoch,
	UnknownLeaderEpoch,
	UnsupportedCompressionType,
	StaleBrokerEpoch,
	OffsetNotAvailable,
	MemberIDRequired,
	PreferredLeaderNotAvailable,
	GroupMaxSizeReached,
	FencedInstanceID,
	EligibleLeadersNotAvailable,
	ElectionNotNeeded,
	NoReassignmentInProgress,
	GroupSubscribedToTopic,
	InvalidRecord,
	UnstableOffsetCommit,
	ThrottlingQuotaExceeded,
	ProducerFenced,
	ResourceNotFound,
	DuplicateResource,
	UnacceptableCredential,
	InconsistentVoterSet,
	InvalidUpdateVersion,
	FeatureUpdateFailed,
	PrincipalDeserializationFailure,
	SnapshotNotFound,
	PositionOutOfRange,
	UnknownTopicID,
	DuplicateBrokerRegistration,
	BrokerIDNotRegistered,
	InconsistentTopicID,
	InconsistentClusterID,
	TransactionalIDNotFound,
	FetchSessionTopicIDError,
	IneligibleReplica,
	NewLeaderElected,
	OffsetMovedToTieredStorage,
	FencedMemberEpoch,
	UnreleasedInstanceID,
	UnsupportedAssignor,
	StaleMemberEpoch,
	MismatchedEndpointType,
	UnsupportedEndpointType,
	UnknownControllerID,
	UnknownSubscriptionID,
	TelemetryTooLarge,
	InvalidRegistration,
	TransactionAbortable,
	InvalidRecordState,
	ShareSessionNotFound,
	InvalidShareSessionEpoch,
	FencedStateEpoch,
	InvalidVoterKey,
	DuplicateVoter,
	VoterNotFound,
	InvalidRegularExpression,
	RebootstrapRequired,
	StreamsInvalidTopology,
	StreamsInvalidTopologyEpoch,
	StreamsTopologyFenced,
	ShareSessionLimitReached,
}
