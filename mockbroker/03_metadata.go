package mockbroker

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/kerr"
)

// Authorized-operation bit fields reported when a client asks for them:
// the mock has no ACLs, so everything is allowed.
const (
	topicOpsAll   = 1<<3 | 1<<4 | 1<<5 | 1<<6 | 1<<7 | 1<<8 | 1<<10 | 1<<11 // READ..DESCRIBE, (ALTER_)CONFIGS
	clusterOpsAll = 1<<5 | 1<<7 | 1<<8 | 1<<9 | 1<<10 | 1<<11 | 1<<12       // CREATE..IDEMPOTENT_WRITE
)

// handleMetadata lists the running brokers, the controller (the running
// broker with the lowest id), the cluster id and the topics asked for, or
// all of them. Unknown topics are created when auto-creation is on and the
// client allows it (always before v4); creation is instant, so the
// response already describes the new topic. Topics are addressed by name,
// or from v10 by topic id.
func handleMetadata(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.MetadataRequest)
	resp := r.ResponseKind().(*kmsg.MetadataResponse)
	if err := rc.lock(); err != nil {
		return nil, err
	}
	defer rc.unlock()
	c := rc.c

	resp.ControllerID = -1
	for _, b := range c.brokers {
		if !b.up {
			continue
		}
		mb := kmsg.NewMetadataResponseBroker()
		mb.NodeID, mb.Host, mb.Port = b.id, "127.0.0.1", int32(b.port)
		resp.Brokers = append(resp.Brokers, mb)
		if resp.ControllerID < 0 {
			resp.ControllerID = b.id
		}
	}
	resp.ClusterID = kmsg.StringPtr(c.cfg.clusterID)
	if r.IncludeClusterAuthorizedOperations {
		resp.AuthorizedOperations = clusterOpsAll
	}

	if r.Topics == nil || r.Version == 0 && len(r.Topics) == 0 {
		names := make([]string, 0, len(c.topics))
		for name := range c.topics {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			resp.Topics = append(resp.Topics, rc.topicMetadata(r, c.topics[name]))
		}
		return resp, nil
	}

	seen := make(map[string]bool, len(r.Topics))
	seenID := make(map[[16]byte]bool)
	autoCreate := c.cfg.autoCreate && (r.Version < 4 || r.AllowAutoTopicCreation)
	for _, rt := range r.Topics {
		mt := kmsg.NewMetadataResponseTopic()
		if rt.Topic == nil {
			// v10+: by topic id.
			if seenID[rt.TopicID] {
				continue
			}
			seenID[rt.TopicID] = true
			mt.TopicID = rt.TopicID
			t := c.topicIDs[rt.TopicID]
			switch {
			case rt.TopicID == [16]byte{}:
				mt.ErrorCode = kerr.InvalidRequest.Code
			case t == nil:
				mt.ErrorCode = kerr.UnknownTopicID.Code
			default:
				mt = rc.topicMetadata(r, t)
			}
			resp.Topics = append(resp.Topics, mt)
			continue
		}
		name := *rt.Topic
		if seen[name] {
			continue
		}
		seen[name] = true
		mt.Topic = kmsg.StringPtr(name)
		if err := samsa.ValidateTopic(name); err != nil {
			mt.ErrorCode = kerr.InvalidTopicException.Code
			resp.Topics = append(resp.Topics, mt)
			continue
		}
		t := c.topics[name]
		if t == nil {
			if e := rc.topicFault(name); e != nil {
				mt.ErrorCode = e.Code
				resp.Topics = append(resp.Topics, mt)
				continue
			}
			if !autoCreate {
				mt.ErrorCode = kerr.UnknownTopicOrPartition.Code
				resp.Topics = append(resp.Topics, mt)
				continue
			}
			var err error
			if t, err = c.autoCreateLocked(name); err != nil {
				mt.ErrorCode = codeOf(err)
				resp.Topics = append(resp.Topics, mt)
				continue
			}
		}
		resp.Topics = append(resp.Topics, rc.topicMetadata(r, t))
	}
	return resp, nil
}

// topicFault returns the injected error for a topic of a Metadata request:
// a request-wide one, or one injected with OnTopic. c.mu must be held.
func (rc *reqCtx) topicFault(topic string) *kerr.Error {
	if rc.fault != nil {
		return rc.fault
	}
	return rc.injectedMode(topic, -1, scopeTopicOnly)
}

// topicMetadata describes one topic. c.mu must be held.
func (rc *reqCtx) topicMetadata(r *kmsg.MetadataRequest, t *topic) kmsg.MetadataResponseTopic {
	c := rc.c
	mt := kmsg.NewMetadataResponseTopic()
	mt.Topic = kmsg.StringPtr(t.name)
	mt.TopicID = t.id
	if r.IncludeTopicAuthorizedOperations {
		mt.AuthorizedOperations = topicOpsAll
	}
	if e := rc.topicFault(t.name); e != nil {
		mt.ErrorCode = e.Code
		return mt
	}
	for _, p := range t.partitions {
		mp := kmsg.NewMetadataResponseTopicPartition()
		mp.Partition = p.index
		mp.Leader = p.leader
		mp.LeaderEpoch = p.leaderEpoch
		mp.Replicas = append([]int32(nil), p.replicas...)
		mp.ISR = c.isrLocked(p)
		mp.OfflineReplicas = c.offlineLocked(p)
		switch {
		case p.leader < 0:
			mp.ErrorCode = kerr.LeaderNotAvailable.Code
		case r.Version == 0 && len(mp.OfflineReplicas) > 0:
			// v0 lists only available replicas and flags the
			// partition, as Kafka does for that version.
			mp.Replicas = mp.ISR
			mp.ErrorCode = kerr.ReplicaNotAvailable.Code
		}
		if e := rc.injectedMode(t.name, p.index, scopePartitionOnly); e != nil {
			mp.ErrorCode = e.Code
		}
		mt.Partitions = append(mt.Partitions, mp)
	}
	return mt
}
