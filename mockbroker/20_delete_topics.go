package mockbroker

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// handleDeleteTopics deletes topics, instantly, with their logs. Before v6
// topics are named; from v6 each is named or given by topic id (not both:
// INVALID_REQUEST). Unknown names are UNKNOWN_TOPIC_OR_PARTITION, unknown
// ids UNKNOWN_TOPIC_ID. Fetches waiting on a deleted topic are woken and
// answer with the error.
func handleDeleteTopics(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.DeleteTopicsRequest)
	resp := r.ResponseKind().(*kmsg.DeleteTopicsResponse)
	if err := rc.lock(); err != nil {
		return nil, err
	}
	defer rc.unlock()
	c := rc.c

	asked := r.Topics
	if r.Version < 6 {
		asked = make([]kmsg.DeleteTopicsRequestTopic, 0, len(r.TopicNames))
		for _, name := range r.TopicNames {
			rt := kmsg.NewDeleteTopicsRequestTopic()
			rt.Topic = kmsg.StringPtr(name)
			asked = append(asked, rt)
		}
	}
	for _, rt := range asked {
		st := kmsg.NewDeleteTopicsResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		var t *topic
		switch {
		case rt.Topic != nil && rt.TopicID != [16]byte{}:
			st.ErrorCode = kerr.InvalidRequest.Code
		case rt.Topic != nil:
			if t = c.topics[*rt.Topic]; t == nil {
				st.ErrorCode = kerr.UnknownTopicOrPartition.Code
			}
		default:
			if t = c.topicIDs[rt.TopicID]; t == nil {
				st.ErrorCode = kerr.UnknownTopicID.Code
			}
		}
		if t != nil {
			st.Topic, st.TopicID = kmsg.StringPtr(t.name), t.id
			if e := rc.injectedTopic(t.name); e != nil {
				st.ErrorCode = e.Code
			} else {
				c.deleteTopicLocked(t)
				c.log.Info("deleted topic", "topic", t.name, "broker", rc.b.id)
			}
		}
		if st.ErrorCode != 0 && r.Version >= 5 {
			st.ErrorMessage = kmsg.StringPtr(kerr.ForCode(st.ErrorCode).Description)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
