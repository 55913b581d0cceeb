// Package assignor decides which consumer of a group reads which
// partitions, and encodes what consumers and the group leader exchange to
// get there.
//
// It sits in the consumer's group membership, between JoinGroup and
// SyncGroup of the classic group protocol:
//
//	every member:  JoinGroup(protocols: name → EncodeSubscription(...))
//	leader:        DecodeSubscription per member → Assignor.Assign → EncodeAssignment per member
//	               SyncGroup(assignments)
//	every member:  DecodeAssignment → revoke / assign → RebalanceListener
//
// The codec is the ConsumerProtocol of the Java client (subscription
// versions 0 to 3, assignment versions 0 to 3), byte-compatible with Java,
// sarama and franz-go members, so samsa consumers can share a group with
// them and lead it.
//
// The assignors reproduce Java's: [Range], [RoundRobin], [Sticky] and
// [CooperativeSticky], under the same protocol names, with Java's member
// ordering (static members by group.instance.id first, then dynamic members
// by member id) so that the same members and topics get the same
// assignment whichever client leads. [Assignor] is shaped after Java's
// ConsumerPartitionAssignor; the built-ins are stateless (the sticky state
// travels in each member's subscription, see
// [Assignor.SubscriptionUserData]) and safe for concurrent use.
//
// The consumer chooses the rebalance protocol: cooperative ([Cooperative])
// only if every configured assignor supports it, eager otherwise. Under the
// cooperative protocol a member reports the partitions it holds and their
// generation in its subscription, revokes only what its new assignment
// leaves out, and rejoins if it revoked anything; [CooperativeSticky] never
// hands a partition to a new owner while another member still holds it.
package assignor
