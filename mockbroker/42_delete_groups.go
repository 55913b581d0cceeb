package mockbroker

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa/kerr"
)

// handleDeleteGroups serves DeleteGroups v0-3: each group that has no
// members (Empty) is deleted with its committed offsets; a member id
// handed out with MEMBER_ID_REQUIRED and not used yet becomes unknown.
// Per-group errors: INVALID_GROUP_ID, NOT_COORDINATOR,
// COORDINATOR_NOT_AVAILABLE, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, or an
// injected error; a group named twice is answered once.
func handleDeleteGroups(rc *reqCtx, req kmsg.Request) (kmsg.Response, error) {
	r := req.(*kmsg.DeleteGroupsRequest)
	resp := r.ResponseKind().(*kmsg.DeleteGroupsResponse)
	if err := rc.lock(); err != nil {
		return nil, err
	}
	defer rc.unlock()
	seen := make(map[string]bool, len(r.Groups))
	for _, id := range r.Groups {
		if seen[id] {
			continue
		}
		seen[id] = true
		dg := kmsg.NewDeleteGroupsResponseGroup()
		dg.Group = id
		if e := rc.deleteGroupLocked(id); e != nil {
			dg.ErrorCode = e.Code
			if r.Version >= 3 {
				dg.ErrorMessage = kmsg.StringPtr(e.Description)
			}
		}
		resp.Groups = append(resp.Groups, dg)
	}
	return resp, nil
}

func (rc *reqCtx) deleteGroupLocked(id string) *kerr.Error {
	if rc.fault != nil {
		return rc.fault
	}
	if e := rc.groupErrLocked(id, false); e != nil {
		return e
	}
	g := rc.c.groupLocked(id)
	switch {
	case g == nil:
		return kerr.GroupIDNotFound
	case g.state != groupEmpty:
		return kerr.NonEmptyGroup
	}
	g.state = groupDead
	delete(rc.c.groups.groups, id)
	rc.c.log.Info("group deleted", "group", id)
	return nil
}
