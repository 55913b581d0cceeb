package assignor

import (
	"cmp"
	"slices"
)

// constrainedAssign is the sticky assignment for groups whose members all
// subscribe to the same topics (Java's constrained assignment). With P
// partitions and C members, exactly P%C members end with maxQuota =
// ceil(P/C) partitions and the others with minQuota = floor(P/C):
//
//  1. Each member keeps what it held, up to its quota: below minQuota it
//     keeps everything and is "under"; with maxQuota or more it keeps
//     maxQuota while members at maxQuota are still wanted; otherwise it keeps
//     minQuota and may take one more later ("exactly min"). Held partitions
//     are kept in (partition number, topic) order, which spreads what a
//     member keeps over its topics.
//  2. The partitions nobody kept, in (topic, partition) order, are dealt
//     round robin to the "under" members in member id order; a member that
//     reaches minQuota joins the end of the "exactly min" list. When no
//     member is under, the next partition goes to the first member of the
//     "exactly min" list, which then has maxQuota.
//
// held[m] lists the partitions member m holds after claim resolution.
func constrainedAssign(g *group, held [][]int) [][]int {
	numM, numP := len(g.members), g.numPartitions()
	minQuota, extra := numP/numM, numP%numM
	maxQuota := minQuota
	if extra > 0 {
		maxQuota++
	}
	atMax := 0 // members that will end with maxQuota
	assigned := make([][]int, numM)
	taken := make([]bool, numP)
	var under, exactlyMin []int

	for m := range numM {
		own := slices.Clone(held[m])
		slices.SortFunc(own, func(a, b int) int {
			ta, tb := g.topicOf(a), g.topicOf(b)
			return cmp.Or(cmp.Compare(a-g.first[ta], b-g.first[tb]), cmp.Compare(g.topics[ta], g.topics[tb]))
		})
		var keep int
		switch {
		case len(own) < minQuota:
			keep = len(own)
			under = append(under, m)
		case len(own) >= maxQuota && atMax < extra:
			keep = maxQuota
			atMax++
			if atMax == extra {
				exactlyMin = exactlyMin[:0] // no room left above minQuota
			}
		default:
			keep = minQuota
			if atMax < extra {
				exactlyMin = append(exactlyMin, m)
			}
		}
		assigned[m] = append(make([]int, 0, maxQuota), own[:keep]...)
		for _, p := range own[:keep] {
			taken[p] = true
		}
	}

	byMemberID := func(a, b int) int { return javaCompare(g.members[a].MemberID, g.members[b].MemberID) }
	slices.SortFunc(under, byMemberID)
	slices.SortFunc(exactlyMin, byMemberID)

	next := 0 // cursor into under
	for p := range numP {
		if taken[p] {
			continue
		}
		var m int
		fromUnder := true
		switch {
		case next < len(under):
			m = under[next]
		case len(under) > 0:
			next = 0
			m = under[0]
		case len(exactlyMin) > 0:
			m, exactlyMin = exactlyMin[0], exactlyMin[1:]
			fromUnder = false
		default:
			// The quotas add up to numP, so this cannot happen; should it
			// ever, the least loaded member takes the partition rather than
			// leaving it unassigned.
			m = leastLoaded(assigned)
			fromUnder = false
		}
		assigned[m] = append(assigned[m], p)
		switch n := len(assigned[m]); {
		case fromUnder && n == minQuota:
			under = slices.Delete(under, next, next+1)
			exactlyMin = append(exactlyMin, m)
		case fromUnder:
			next++
		case n == maxQuota:
			atMax++
		}
	}
	return assigned
}

func leastLoaded(assigned [][]int) int {
	best := 0
	for m := range assigned {
		if len(assigned[m]) < len(assigned[best]) {
			best = m
		}
	}
	return best
}
