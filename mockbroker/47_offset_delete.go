package mockbroker

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/consumer/assignor"
	"github.com/samsa-go/samsa/kerr"
)

// handleOffsetDelete serves OffsetDelete v0 (KIP-496): the committed
// offsets of the partitions named are deleted. A group with members may
// only lose offsets of topics none of its members subscribes to
// (GROUP_SUBSCRIBED_TO_TOPIC otherwise): for a consumer group the
// subscriptions are decoded with the consumer protocol, and when one does
// not decode every topic counts as subscribed; a group of another protocol
// type with members is refused with NON_EMPTY_GROUP. Group errors (top
// level): INVALID_GROUP_ID, NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE,
// GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, or an injected error; partition
// errors: UNKNOWN_TOPIC_OR_PARTITION, GROUP_SUBSCRIBED_TO_TOPIC, or an
// error injected with OnTopic or OnPartition.
func handleOffsetDelete(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.OffsetDeleteRequest)
	resp := r.ResponseKind().(*kmsg.OffsetDeleteResponse)
	if err := rc.lock(); err != nil {
		return nil, err
	}
	defer rc.unlock()
	c := rc.c
	e := rc.fault
	if e == nil {
		e = rc.groupErrLocked(r.Group, false)
	}
	g := c.groupLocked(r.Group)
	switch {
	case e != nil:
	case g == nil:
		e = kerr.GroupIDNotFound
	case g.state != groupEmpty && g.protocolType != assignor.ProtocolType:
		e = kerr.NonEmptyGroup
	}
	if e != nil {
		resp.ErrorCode = e.Code
		return resp, nil
	}
	for _, rt := range r.Topics {
		st := kmsg.NewOffsetDeleteResponseTopic()
		st.Topic = rt.Topic
		t := c.topics[rt.Topic]
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetDeleteResponseTopicPartition()
			sp.Partition = rp.Partition
			switch {
			case rc.injectedMode(rt.Topic, rp.Partition, scopeAny) != nil:
				sp.ErrorCode = rc.injectedMode(rt.Topic, rp.Partition, scopeAny).Code
			case t == nil || rp.Partition < 0 || int(rp.Partition) >= len(t.partitions):
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case g.state != groupEmpty && g.subscribedTo(rt.Topic):
				sp.ErrorCode = kerr.GroupSubscribedToTopic.Code
			default:
				delete(g.offsets, samsa.TopicPartition{Topic: rt.Topic, Partition: rp.Partition})
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
