package assignor

// Range returns Java's RangeAssignor (protocol name "range", eager only).
// sarama's NewBalanceStrategyRange computes the same assignment except that
// it orders members by member id alone, ignoring group.instance.id.
//
// Each topic is assigned on its own: its subscribers, in Java's member order
// (static members by group.instance.id first, then dynamic members by
// member id), take consecutive ranges of its partitions; with P partitions
// and C subscribers each takes P/C and the first P%C take one more. Members
// subscribed to the same co-partitioned topics therefore get the same
// partition numbers of each, and the first members get the extra partition
// of every topic. The rack-aware pass of KIP-881 needs replica racks, which
// the assignor is not given; it is not performed (Java skips it too when no
// rack matches).
//
// Stateless and safe for concurrent use.
func Range() Assignor { return rangeAssignor{} }

type rangeAssignor struct{}

func (rangeAssignor) Name() string                                                   { return "range" }
func (rangeAssignor) Protocols() []RebalanceProtocol                                 { return []RebalanceProtocol{Eager} }
func (rangeAssignor) SubscriptionUserData([]string, []TopicPartitions, int32) []byte { return nil }

func (rangeAssignor) Assign(metadata map[string]int32, members []Member) (map[string]Assignment, error) {
	g, err := newGroup(metadata, members)
	if err != nil {
		return nil, err
	}
	assigned := make([][]int, len(g.members))
	subscribers := make([]int, 0, len(g.members))
	for t := range g.topics {
		subscribers = subscribers[:0]
		for m := range g.members {
			if g.subscribes(m, t) {
				subscribers = append(subscribers, m)
			}
		}
		n := g.first[t+1] - g.first[t]
		per, extra := n/len(subscribers), n%len(subscribers)
		next := g.first[t]
		for i, m := range subscribers {
			take := per
			if i < extra {
				take++
			}
			for p := next; p < next+take; p++ {
				assigned[m] = append(assigned[m], p)
			}
			next += take
		}
	}
	return g.result(assigned), nil
}
