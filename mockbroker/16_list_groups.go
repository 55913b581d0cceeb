package mockbroker

import (
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// classicGroupType is the group type ListGroups v5 reports (KIP-848): all
// of the mock's groups use the classic protocol.
const classicGroupType = "classic"

// handleListGroups serves ListGroups v0-5: the groups this broker
// coordinates, as on Kafka (a client lists every broker's to see them
// all), sorted by id, with their protocol type, their state (v4+) and type
// (v5+). The states filter (v4+) and the types filter (v5+) are matched
// without regard to case; an empty filter matches every group. An injected
// error is the top-level error code.
func handleListGroups(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.ListGroupsRequest)
	resp := r.ResponseKind().(*kmsg.ListGroupsResponse)
	if err := rc.lock(); err != nil {
		return nil, err
	}
	defer rc.unlock()
	if rc.fault != nil {
		resp.ErrorCode = rc.fault.Code
		return resp, nil
	}
	matches := func(filter []string, v string) bool {
		return len(filter) == 0 || slices.ContainsFunc(filter, func(f string) bool { return strings.EqualFold(f, v) })
	}
	if !matches(r.TypesFilter, classicGroupType) {
		return resp, nil
	}
	ids := make([]string, 0, len(rc.c.groups.groups))
	for id := range rc.c.groups.groups {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		g := rc.c.groups.groups[id]
		if coord, err := rc.c.coordinatorLocked(id); err != nil || coord != rc.b.id {
			continue
		}
		if !matches(r.StatesFilter, g.state.String()) {
			continue
		}
		lg := kmsg.NewListGroupsResponseGroup()
		lg.Group, lg.ProtocolType, lg.GroupState, lg.GroupType = id, g.protocolType, g.state.String(), classicGroupType
		resp.Groups = append(resp.Groups, lg)
	}
	return resp, nil
}
