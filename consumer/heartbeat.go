package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/samsa-go/samsa"
	"github.com/samsa-go/samsa/internal/cluster"
	"github.com/samsa-go/samsa/kerr"
)

// heartbeatLoop is the group's heartbeat goroutine (Java's HeartbeatThread).
// While the member is in a generation — from the JoinGroup response on —
// it sends a Heartbeat every heartbeat interval and turns the answers into
// state for Poll: REBALANCE_IN_PROGRESS asks for a rejoin,
// UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION reset the generation (the
// partitions are lost), FENCED_INSTANCE_ID is fatal. It also enforces the
// max poll interval: when the application has not called Poll for that
// long, the member leaves the group so that its partitions move on.
func (g *group) heartbeatLoop(ctx context.Context) {
	c := g.c
	timer := time.NewTimer(c.cfg.heartbeatInterval)
	defer timer.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-g.hbWake:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
		next := c.cfg.heartbeatInterval
		if leaveID, expired := g.checkPollTimeout(); expired {
			if leaveID != "" {
				g.sendLeave(ctx, leaveID, "consumer poll timeout has expired")
			}
			timer.Reset(next)
			continue
		}
		c.mu.Lock()
		active := g.fatal == nil && g.generation >= 0 && g.memberID != "" &&
			(g.state == stateStable || g.awaitingSync)
		generation, memberID := g.generation, g.memberID
		if !active {
			c.mu.Unlock()
			timer.Reset(min(next, c.cfg.maxPollInterval))
			continue
		}
		if since := time.Since(g.lastHeartbeat); since > c.cfg.sessionTimeout {
			// No answer for a whole session: the coordinator may be gone.
			c.cl.InvalidateCoordinator(cluster.GroupCoordinator, g.id)
		}
		c.mu.Unlock()
		err := g.sendHeartbeat(ctx, generation, memberID)
		if ctx.Err() != nil {
			return
		}
		g.onHeartbeat(generation, memberID, err)
		if err != nil && !errors.Is(err, kerr.RebalanceInProgress) {
			failures++
			next = min(next, c.cfg.backoff(failures-1, c.jitter()))
		} else {
			failures = 0
		}
		timer.Reset(next)
	}
}

// checkPollTimeout leaves the group when the application has not polled for
// the max poll interval (Java's maybeLeaveGroup on poll timeout). The
// member forgets its generation — its partitions are lost, which the next
// Poll reports before rejoining. It returns the member id to send
// LeaveGroup for (none for a static member, which keeps its slot until the
// session times out) and whether the timeout expired.
func (g *group) checkPollTimeout() (string, bool) {
	c := g.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.subscribedLocked() || c.polling || c.lastPoll.IsZero() || g.memberID == "" || g.fatal != nil {
		return "", false
	}
	if time.Since(c.lastPoll) <= c.cfg.maxPollInterval {
		return "", false
	}
	memberID := g.memberID
	c.log.Warn("consumer: the application did not poll within the max poll interval; leaving the group",
		slog.String("group", g.id), slog.Duration("max_poll_interval", c.cfg.maxPollInterval))
	c.met.pollTimeout()
	g.resetGenerationLocked(true, "consumer poll timeout has expired")
	if g.instanceID != "" {
		return "", true
	}
	return memberID, true
}

// sendHeartbeat sends one Heartbeat to the coordinator.
func (g *group) sendHeartbeat(ctx context.Context, generation int32, memberID string) error {
	c := g.c
	rctx, cancel := context.WithTimeout(ctx, c.cfg.requestTimeout)
	defer cancel()
	conn, _, err := c.cl.Coordinator(rctx, cluster.GroupCoordinator, g.id)
	if err != nil {
		return err
	}
	req := kmsg.NewPtrHeartbeatRequest()
	req.Group, req.Generation, req.MemberID, req.InstanceID = g.id, generation, memberID, g.instanceIDPtr()
	resp, err := conn.Do(rctx, req)
	if err != nil {
		c.coordinatorError(err)
		return err
	}
	hr, ok := resp.(*kmsg.HeartbeatResponse)
	if !ok {
		return fmt.Errorf("%w: Heartbeat answered with %T", samsa.ErrMalformedResponse, resp)
	}
	if err := kerr.ForCode(hr.ErrorCode); err != nil {
		c.coordinatorError(err)
		return err
	}
	return nil
}

// onHeartbeat applies a heartbeat's outcome, unless the generation changed
// since it was sent.
func (g *group) onHeartbeat(generation int32, memberID string, err error) {
	c := g.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if generation != g.generation || memberID != g.memberID {
		return
	}
	switch {
	case err == nil:
		g.lastHeartbeat = time.Now()
	case errors.Is(err, kerr.RebalanceInProgress):
		// The member is alive; the group wants it to rejoin.
		g.lastHeartbeat = time.Now()
		if g.state == stateStable {
			g.requestRejoinLocked("the group is rebalancing")
		}
	case errors.Is(err, kerr.FencedInstanceID):
		g.fatal = &FencedInstanceError{Group: g.id, InstanceID: g.instanceID}
		c.wakePoll()
	case g.state != stateStable:
		// During SyncGroup the round itself reports generation errors.
	case errors.Is(err, kerr.UnknownMemberID):
		c.log.Info("consumer: heartbeat: member unknown to the coordinator", slog.String("group", g.id))
		g.resetGenerationLocked(true, "the coordinator does not know the member")
	case errors.Is(err, kerr.IllegalGeneration):
		c.log.Info("consumer: heartbeat: generation is gone", slog.String("group", g.id))
		g.resetGenerationLocked(false, "the generation is gone")
	default:
		c.log.Debug("consumer: heartbeat failed", slog.String("group", g.id), slog.Any("error", err))
	}
}

// sendLeave sends a best-effort LeaveGroup (no retry, as in Java).
func (g *group) sendLeave(ctx context.Context, memberID, reason string) {
	c := g.c
	rctx, cancel := context.WithTimeout(ctx, c.cfg.requestTimeout)
	defer cancel()
	conn, _, err := c.cl.Coordinator(rctx, cluster.GroupCoordinator, g.id)
	if err == nil {
		req := kmsg.NewPtrLeaveGroupRequest()
		req.Group, req.MemberID = g.id, memberID
		m := kmsg.NewLeaveGroupRequestMember()
		m.MemberID, m.Reason = memberID, &reason
		req.Members = append(req.Members, m)
		var resp kmsg.Response
		if resp, err = conn.Do(rctx, req); err == nil {
			if lr, ok := resp.(*kmsg.LeaveGroupResponse); ok {
				err = kerr.ForCode(lr.ErrorCode)
				for _, m := range lr.Members {
					if err == nil {
						err = kerr.ForCode(m.ErrorCode)
					}
				}
			}
		}
	}
	if err != nil {
		c.log.Info("consumer: LeaveGroup failed", slog.String("group", g.id), slog.Any("error", err))
		return
	}
	c.log.Info("consumer: left the group", slog.String("group", g.id), slog.String("reason", reason))
}
