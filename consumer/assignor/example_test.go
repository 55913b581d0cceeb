package assignor_test

import (
	"fmt"

	"github.com/samsa-go/samsa/consumer/assignor"
)

// The leader decodes every member's subscription, assigns, and encodes one
// assignment per member.
func Example() {
	var members []assignor.Member
	for _, id := range []string{"consumer-b", "consumer-a"} {
		raw, err := assignor.EncodeSubscription(assignor.Subscription{
			Topics:       []string{"t0", "t1"},
			GenerationID: assignor.DefaultGeneration,
		}, assignor.MaxSubscriptionVersion)
		if err != nil {
			panic(err)
		}
		// ...sent in JoinGroup, returned to the leader in the response...
		sub, _, err := assignor.DecodeSubscription(raw)
		if err != nil {
			panic(err)
		}
		members = append(members, assignor.Member{MemberID: id, Subscription: sub})
	}

	out, err := assignor.Range().Assign(map[string]int32{"t0": 3, "t1": 3}, members)
	if err != nil {
		panic(err)
	}
	for _, id := range []string{"consumer-a", "consumer-b"} {
		raw, _ := assignor.EncodeAssignment(out[id], assignor.MaxAssignmentVersion)
		fmt.Println(id, out[id].Partitions, len(raw), "bytes")
	}
	// Output:
	// consumer-a [{t0 [0 1]} {t1 [0 1]}] 42 bytes
	// consumer-b [{t0 [2]} {t1 [2]}] 34 bytes
}

// Cooperative-sticky never moves a partition straight from one member to
// another: the new owner gets it one rebalance later.
func ExampleCooperativeSticky() {
	a := assignor.CooperativeSticky()
	old := assignor.Member{MemberID: "old", Subscription: assignor.Subscription{
		Topics:          []string{"t"},
		OwnedPartitions: []assignor.TopicPartitions{{Topic: "t", Partitions: []int32{0, 1}}},
		GenerationID:    4,
	}}
	joiner := assignor.Member{MemberID: "new", Subscription: assignor.Subscription{
		Topics: []string{"t"}, GenerationID: assignor.DefaultGeneration,
	}}
	first, _ := a.Assign(map[string]int32{"t": 2}, []assignor.Member{old, joiner})
	fmt.Println("first:", first["old"].Partitions, first["new"].Partitions)

	// "old" revoked t-1 and rejoins holding only t-0.
	old.Subscription.OwnedPartitions = first["old"].Partitions
	old.Subscription.GenerationID = 5
	second, _ := a.Assign(map[string]int32{"t": 2}, []assignor.Member{old, joiner})
	fmt.Println("second:", second["old"].Partitions, second["new"].Partitions)
	// Output:
	// first: [{t [0]}] []
	// second: [{t [0]}] [{t [1]}]
}
