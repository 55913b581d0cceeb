package consumer

import (
	"fmt"
	"slices"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer/assignor"
)

// cooperativeStrategy (KIP-429): members keep their partitions through the
// rebalance and report them, with the generation they were assigned in, in
// the subscription. The leader's assignor leaves a partition that changes
// owner unassigned; its holder revokes it once SyncGroup shows it gone
// (see group.finish) and rejoins, and the next rebalance gives it to the new
// owner. Before joining, a member only revokes the partitions of topics it
// no longer subscribes to. Partitions that stay put are never revoked and
// are consumed throughout.
type cooperativeStrategy struct{}

func (cooperativeStrategy) revokeBeforeJoin(owned []samsa.TopicPartition, topics []string) ([]samsa.TopicPartition, bool) {
	var revoke []samsa.TopicPartition
	for _, tp := range owned {
		if !slices.Contains(topics, tp.Topic) {
			revoke = append(revoke, tp)
		}
	}
	return revoke, false
}

func (cooperativeStrategy) reportsOwned() bool { return true }

// validateCooperative checks what Java checks for cooperative assignors
// other than its built-in one: no partition goes straight from the member
// that owns it to another member within one rebalance.
func validateCooperative(members []assignor.Member, result map[string]assignor.Assignment) error {
	owner := make(map[samsa.TopicPartition]string)
	for _, m := range members {
		for _, tps := range m.Subscription.OwnedPartitions {
			for _, p := range tps.Partitions {
				owner[samsa.TopicPartition{Topic: tps.Topic, Partition: p}] = m.MemberID
			}
		}
	}
	for member, a := range result {
		for _, tps := range a.Partitions {
			for _, p := range tps.Partitions {
				tp := samsa.TopicPartition{Topic: tps.Topic, Partition: p}
				if o, ok := owner[tp]; ok && o != member {
					return fmt.Errorf("samsa: consumer: the cooperative assignment moves %s from member %s to member %s without revoking it first", tp, o, member)
				}
			}
		}
	}
	return nil
}
