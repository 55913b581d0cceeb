package saramacompat

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/IBM/sarama"

	"github.com/samsa-go/samsa/consumer/assignor"
)

// The dynamic types of sarama's built-in strategies, which are unexported:
// a configured strategy is recognised by its type, not by its Name, so a
// user strategy that calls itself "sticky" still runs its own Plan.
var (
	stickyType            = reflect.TypeOf(sarama.NewBalanceStrategySticky())
	cooperativeStickyType = reflect.TypeOf(sarama.NewBalanceStrategyCooperativeSticky())
)

// assignors maps sarama's configured strategies onto samsa assignors, in
// order of preference: Rebalance.Strategy if set (sarama lets it override
// GroupStrategies), else GroupStrategies.
//
// sarama's sticky and cooperative-sticky strategies are ports of Java's,
// and so are samsa's, which keep their state in the subscription rather
// than in the strategy value; they are used for those two. Every other
// strategy — sarama's range and roundrobin (whose member and partition
// orders differ from Java's in corner cases) and user strategies — runs
// its own Plan through planAssignor, so the group assigns exactly as a
// sarama leader would.
func assignors(cfg *sarama.Config, generation func() int32) ([]assignor.Assignor, error) {
	strategies := cfg.Consumer.Group.Rebalance.GroupStrategies
	if s := cfg.Consumer.Group.Rebalance.Strategy; s != nil {
		strategies = []sarama.BalanceStrategy{s}
	}
	userData := cfg.Consumer.Group.Member.UserData
	out := make([]assignor.Assignor, 0, len(strategies))
	for _, s := range strategies {
		switch reflect.TypeOf(s) {
		case stickyType:
			if userData != nil {
				return nil, refuse("Consumer.Group.Member.UserData", "the sticky strategies keep their own user data")
			}
			out = append(out, assignor.Sticky())
		case cooperativeStickyType:
			if userData != nil {
				return nil, refuse("Consumer.Group.Member.UserData", "the sticky strategies keep their own user data")
			}
			out = append(out, assignor.CooperativeSticky())
		default:
			out = append(out, &planAssignor{s: s, userData: userData, generation: generation})
		}
	}
	return out, nil
}

// planAssignor runs a sarama.BalanceStrategy as a samsa assignor: the
// members' decoded subscriptions go to its Plan, and each member's
// assignment carries the strategy's AssignmentData as user data. Its
// subscription user data is the strategy's SubscriptionUserData when it
// has one, else Consumer.Group.Member.UserData, as sarama sends it.
type planAssignor struct {
	s          sarama.BalanceStrategy
	userData   []byte
	generation func() int32 // the member's current generation, for AssignmentData
}

// Name is the strategy's protocol name.
func (a *planAssignor) Name() string { return a.s.Name() }

// Protocols are the strategy's supported protocols (eager by default).
func (a *planAssignor) Protocols() []assignor.RebalanceProtocol {
	rp, ok := a.s.(sarama.RebalanceProtocolBalanceStrategy)
	if !ok {
		return []assignor.RebalanceProtocol{assignor.Eager}
	}
	var out []assignor.RebalanceProtocol
	for _, p := range rp.SupportedProtocols() {
		switch p {
		case sarama.RebalanceProtocolEager:
			out = append(out, assignor.Eager)
		case sarama.RebalanceProtocolCooperative:
			out = append(out, assignor.Cooperative)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// SubscriptionUserData returns the strategy's user data for topics.
func (a *planAssignor) SubscriptionUserData(topics []string, _ []assignor.TopicPartitions, _ int32) []byte {
	if sd, ok := a.s.(sarama.SubscriptionUserDataBalanceStrategy); ok {
		b, err := sd.SubscriptionUserData(topics)
		if err != nil {
			sarama.Logger.Printf("saramacompat: %s SubscriptionUserData: %v", a.s.Name(), err)
			return nil
		}
		return b
	}
	return a.userData
}

// Assign runs Plan over the members and the partitions of the topics they
// subscribe to.
func (a *planAssignor) Assign(metadata map[string]int32, members []assignor.Member) (map[string]assignor.Assignment, error) {
	ms := make(map[string]sarama.ConsumerGroupMemberMetadata, len(members))
	topics := map[string][]int32{}
	for _, m := range members {
		if m.MemberID == "" {
			return nil, &assignor.InputError{Reason: "a member has an empty member id"}
		}
		if _, dup := ms[m.MemberID]; dup {
			return nil, &assignor.InputError{Reason: fmt.Sprintf("member id %q appears twice", m.MemberID)}
		}
		sub := m.Subscription
		md := sarama.ConsumerGroupMemberMetadata{
			Version:      3,
			Topics:       slices.Clone(sub.Topics),
			UserData:     sub.UserData,
			GenerationID: sub.GenerationID,
		}
		if sub.RackID != "" {
			rack := sub.RackID
			md.RackID = &rack
		}
		for _, tp := range sub.OwnedPartitions {
			md.OwnedPartitions = append(md.OwnedPartitions, &sarama.OwnedPartition{Topic: tp.Topic, Partitions: slices.Clone(tp.Partitions)})
		}
		ms[m.MemberID] = md
		for _, t := range sub.Topics {
			n, ok := metadata[t]
			if !ok || n < 0 {
				continue
			}
			if _, done := topics[t]; !done {
				ps := make([]int32, n)
				for i := range ps {
					ps[i] = int32(i)
				}
				topics[t] = ps
			}
		}
	}
	plan, err := a.s.Plan(ms, topics)
	if err != nil {
		return nil, fmt.Errorf("saramacompat: balance strategy %s: %w", a.s.Name(), err)
	}
	out := make(map[string]assignor.Assignment, len(members))
	for _, m := range members {
		assigned := plan[m.MemberID]
		names := make([]string, 0, len(assigned))
		for t := range assigned {
			names = append(names, t)
		}
		slices.Sort(names)
		var as assignor.Assignment
		for _, t := range names {
			ps := slices.Clone(assigned[t])
			slices.Sort(ps)
			as.Partitions = append(as.Partitions, assignor.TopicPartitions{Topic: t, Partitions: ps})
		}
		ud, err := a.s.AssignmentData(m.MemberID, assigned, a.generation())
		if err != nil {
			return nil, fmt.Errorf("saramacompat: balance strategy %s AssignmentData: %w", a.s.Name(), err)
		}
		as.UserData = ud
		out[m.MemberID] = as
	}
	return out, nil
}
