package assignor

// RoundRobin returns Java's RoundRobinAssignor (protocol name
// "roundrobin", eager only).
//
// All partitions of all subscribed topics, sorted by topic and then
// partition number, are dealt one at a time to the members in Java's member
// order (static members by group.instance.id first, then dynamic members by
// member id), with one cursor that runs over all topics: a member not
// subscribed to a partition's topic is skipped. When all members subscribe
// to the same topics, counts differ by at most one.
//
// sarama's NewBalanceStrategyRoundRobin deals the same way but sorts
// partitions by the string "topic-partition", so a topic with more than 10
// partitions is dealt in the order 0, 1, 10, 11, 2, ...; it also ignores
// group.instance.id. Its assignment equals this one for dynamic members,
// topics of at most 10 partitions, and topic names of which none is another
// one followed by '-' and a digit.
//
// Stateless and safe for concurrent use.
func RoundRobin() Assignor { return roundRobinAssignor{} }

type roundRobinAssignor struct{}

func (roundRobinAssignor) Name() string                                                   { return "roundrobin" }
func (roundRobinAssignor) Protocols() []RebalanceProtocol                                 { return []RebalanceProtocol{Eager} }
func (roundRobinAssignor) SubscriptionUserData([]string, []TopicPartitions, int32) []byte { return nil }

func (roundRobinAssignor) Assign(metadata map[string]int32, members []Member) (map[string]Assignment, error) {
	g, err := newGroup(metadata, members)
	if err != nil {
		return nil, err
	}
	assigned := make([][]int, len(g.members))
	cursor := 0
	for t := range g.topics {
		// Every topic in g.topics has at least one subscriber, so the skip
		// loop ends within one lap.
		for p := g.first[t]; p < g.first[t+1]; p++ {
			for !g.subscribes(cursor, t) {
				cursor = (cursor + 1) % len(g.members)
			}
			assigned[cursor] = append(assigned[cursor], p)
			cursor = (cursor + 1) % len(g.members)
		}
	}
	return g.result(assigned), nil
}
