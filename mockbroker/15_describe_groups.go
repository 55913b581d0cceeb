package mockbroker

import (
	"math"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// groupOpsAll is the authorized-operations bit field of a group when a
// client asks for it: the mock has no ACLs, so READ, DELETE and DESCRIBE
// are allowed.
const groupOpsAll = 1<<3 | 1<<6 | 1<<8

// handleDescribeGroups serves DescribeGroups v0-6: per group its state,
// protocol type, and members (member id, instance id v4+, client id and
// host). In a Stable group the chosen protocol and each member's metadata
// for it and assignment are included; otherwise they are empty, as on
// Kafka. An unknown group is described as Dead without error before v6 and
// gets GROUP_ID_NOT_FOUND from v6 (KIP-1043). Per-group errors:
// NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, or an injected error.
func handleDescribeGroups(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.DescribeGroupsRequest)
	resp := r.ResponseKind().(*kmsg.DescribeGroupsResponse)
	if err := rc.lock(); err != nil {
		return nil, err
	}
	defer rc.unlock()
	for _, id := range r.Groups {
		dg := kmsg.NewDescribeGroupsResponseGroup()
		dg.Group = id
		dg.AuthorizedOperations = math.MinInt32
		if r.IncludeAuthorizedOperations {
			dg.AuthorizedOperations = groupOpsAll
		}
		e := rc.fault
		if e == nil {
			e = rc.groupErrLocked(id, true)
		}
		g := rc.c.groupLocked(id)
		if e == nil && g == nil {
			dg.State = groupDead.String()
			if r.Version < 6 {
				resp.Groups = append(resp.Groups, dg)
				continue
			}
			e = kerr.GroupIDNotFound
		}
		if e != nil {
			dg.ErrorCode = e.Code
			if r.Version >= 6 {
				dg.ErrorMessage = kmsg.StringPtr(e.Description)
			}
			resp.Groups = append(resp.Groups, dg)
			continue
		}
		dg.State = g.state.String()
		dg.ProtocolType = g.protocolType
		stable := g.state == groupStable
		if stable {
			dg.Protocol = g.protocol
		}
		for _, m := range g.sortedMembers() {
			dm := kmsg.NewDescribeGroupsResponseGroupMember()
			dm.MemberID, dm.ClientID, dm.ClientHost = m.id, m.clientID, m.clientHost
			if m.static {
				dm.InstanceID = kmsg.StringPtr(m.instanceID)
			}
			dm.ProtocolMetadata, dm.MemberAssignment = []byte{}, []byte{}
			if stable {
				if md := m.metadataFor(g.protocol); md != nil {
					dm.ProtocolMetadata = md
				}
				if m.assignment != nil {
					dm.MemberAssignment = m.assignment
				}
			}
			dg.Members = append(dg.Members, dm)
		}
		resp.Groups = append(resp.Groups, dg)
	}
	return resp, nil
}
