package consumer

import "github.com/samsa-go/samsa"

// rebalanceStrategy is what differs between the eager and the cooperative
// rebalance protocols on a member.
type rebalanceStrategy interface {
	// revokeBeforeJoin returns the partitions to revoke before joining, given
	// those owned and the topics subscribed; always says whether
	// OnPartitionsRevoked is called even with none (eager: every rebalance
	// starts with it).
	revokeBeforeJoin(owned []samsa.TopicPartition, topics []string) (revoke []samsa.TopicPartition, always bool)
	// reportsOwned says whether the subscription reports the owned
	// partitions (and their generation).
	reportsOwned() bool
}

// eagerStrategy: every member revokes all its partitions before it joins,
// so the whole group stops consuming until SyncGroup; the subscription
// reports no owned partitions. Partitions that stay with a member are
// revoked and assigned again.
type eagerStrategy struct{}

func (eagerStrategy) revokeBeforeJoin(owned []samsa.TopicPartition, _ []string) ([]samsa.TopicPartition, bool) {
	return owned, true
}

func (eagerStrategy) reportsOwned() bool { return false }
