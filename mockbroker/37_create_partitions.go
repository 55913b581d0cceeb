package mockbroker

import (
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// handleCreatePartitions grows topics to a new partition count. The count
// must exceed the current one (INVALID_PARTITIONS otherwise). New
// partitions get the topic's replication factor, spread round-robin, or the
// replicas given in the request (one list per new partition, of the
// topic's replication factor: INVALID_REPLICA_ASSIGNMENT otherwise).
// validate_only checks without changing anything.
func handleCreatePartitions(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.CreatePartitionsRequest)
	resp := r.ResponseKind().(*kmsg.CreatePartitionsResponse)
	if err := rc.lock(); err != nil {
		return nil, err
	}
	defer rc.unlock()
	c := rc.c

	count := make(map[string]int, len(r.Topics))
	for _, rt := range r.Topics {
		count[rt.Topic]++
	}
	for _, rt := range r.Topics {
		st := kmsg.NewCreatePartitionsResponseTopic()
		st.Topic = rt.Topic
		t, plan, err := rc.planCreatePartitions(&rt, count[rt.Topic] > 1)
		if err != nil {
			st.ErrorCode = codeOf(err)
			st.ErrorMessage = messageOf(err)
		} else if !r.ValidateOnly {
			c.addPartitionsLocked(t, plan)
			c.log.Info("added partitions", "topic", t.name, "partitions", len(t.partitions), "broker", rc.b.id)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}

// planCreatePartitions validates one topic of a CreatePartitions request
// and returns the replicas of the partitions to add. c.mu must be held.
func (rc *reqCtx) planCreatePartitions(rt *kmsg.CreatePartitionsRequestTopic, duplicate bool) (*topic, [][]int32, error) {
	c := rc.c
	if duplicate {
		return nil, nil, fmt.Errorf("%w: topic %q appears more than once in the request", kerr.InvalidRequest, rt.Topic)
	}
	t := c.topics[rt.Topic]
	if t == nil {
		return nil, nil, fmt.Errorf("%w: topic %q does not exist", kerr.UnknownTopicOrPartition, rt.Topic)
	}
	if e := rc.injectedTopic(rt.Topic); e != nil {
		return nil, nil, fmt.Errorf("%w (injected)", e)
	}
	have := int32(len(t.partitions))
	switch {
	case rt.Count == have:
		return nil, nil, fmt.Errorf("%w: topic already has %d partitions", kerr.InvalidPartitions, have)
	case rt.Count < have:
		return nil, nil, fmt.Errorf("%w: topic currently has %d partitions, which is higher than the requested %d", kerr.InvalidPartitions, have, rt.Count)
	case rt.Count > maxPartitions:
		return nil, nil, fmt.Errorf("%w: %d partitions; the limit is %d", kerr.InvalidPartitions, rt.Count, maxPartitions)
	}
	rf := len(t.partitions[0].replicas)
	add := rt.Count - have
	if rt.Assignment == nil {
		return t, c.planReplicas(c.nextLeader, have, add, int16(rf)), nil
	}
	if int32(len(rt.Assignment)) != add {
		return nil, nil, fmt.Errorf("%w: %d replica lists for %d new partitions", kerr.InvalidReplicaAssignment, len(rt.Assignment), add)
	}
	plan := make([][]int32, 0, add)
	for _, a := range rt.Assignment {
		plan = append(plan, slices.Clone(a.Replicas))
	}
	if err := c.validateAssignment(plan); err != nil {
		return nil, nil, err
	}
	if len(plan[0]) != rf {
		return nil, nil, fmt.Errorf("%w: inconsistent replication factor: the topic has %d, the assignment %d", kerr.InvalidReplicaAssignment, rf, len(plan[0]))
	}
	return t, plan, nil
}
