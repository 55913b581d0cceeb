package mockbroker

import (
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// handleCreateTopics creates topics, instantly, on whichever broker
// receives the request (as KRaft brokers forward to the controller). It
// validates as Kafka does: topic names, partition counts and replication
// factors (-1 for the defaults, v4+), explicit replica assignments (not
// together with counts), topic configs (unknown names and bad values are
// INVALID_CONFIG; message.timestamp.type=LogAppendTime switches the topic to
// log append time), and a topic named twice in one request. validate_only
// checks without creating. From v5 the response carries the resulting
// partition count, replication factor and configs; from v7 the topic id.
func handleCreateTopics(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.CreateTopicsRequest)
	resp := r.ResponseKind().(*kmsg.CreateTopicsResponse)
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
		st := kmsg.NewCreateTopicsResponseTopic()
		st.Topic = rt.Topic
		t, err := rc.planCreateTopic(&rt, count[rt.Topic] > 1)
		if err != nil {
			st.ErrorCode = codeOf(err)
			if r.Version >= 1 {
				st.ErrorMessage = messageOf(err)
			}
			resp.Topics = append(resp.Topics, st)
			continue
		}
		if !r.ValidateOnly {
			c.addTopicLocked(t)
			st.TopicID = t.id
			c.log.Info("created topic", "topic", t.name, "partitions", len(t.partitions), "broker", rc.b.id)
		}
		st.NumPartitions = int32(len(t.partitions))
		st.ReplicationFactor = int16(len(t.partitions[0].replicas))
		for _, e := range t.cfg.entries() {
			sc := kmsg.NewCreateTopicsResponseTopicConfig()
			sc.Name, sc.Value, sc.Source = e.name, kmsg.StringPtr(e.value), e.source
			st.Configs = append(st.Configs, sc)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}

// planCreateTopic validates one topic of a CreateTopics request and builds
// it without adding it. c.mu must be held.
func (rc *reqCtx) planCreateTopic(rt *kmsg.CreateTopicsRequestTopic, duplicate bool) (*topic, error) {
	if duplicate {
		return nil, fmt.Errorf("%w: topic %q appears more than once in the request", kerr.InvalidRequest, rt.Topic)
	}
	if e := rc.injectedTopic(rt.Topic); e != nil {
		return nil, fmt.Errorf("%w (injected)", e)
	}
	var assignment [][]int32
	if len(rt.ReplicaAssignment) > 0 {
		if rt.NumPartitions != -1 || rt.ReplicationFactor != -1 {
			return nil, fmt.Errorf("%w: both num partitions or replication factor and replica assignments were set; both cannot be used at the same time", kerr.InvalidRequest)
		}
		byPartition := slices.Clone(rt.ReplicaAssignment)
		slices.SortFunc(byPartition, func(a, b kmsg.CreateTopicsRequestTopicReplicaAssignment) int {
			return int(a.Partition) - int(b.Partition)
		})
		for i, ra := range byPartition {
			if ra.Partition != int32(i) {
				return nil, fmt.Errorf("%w: partitions of the assignment must be 0 to %d, each once", kerr.InvalidReplicaAssignment, len(byPartition)-1)
			}
			assignment = append(assignment, slices.Clone(ra.Replicas))
		}
	}
	configs := make(map[string]*string, len(rt.Configs))
	for _, cfg := range rt.Configs {
		configs[cfg.Name] = cfg.Value
	}
	return rc.c.planTopicLocked(rt.Topic, rt.NumPartitions, rt.ReplicationFactor, assignment, configs)
}
