package assignor

import (
	"cmp"
	"slices"
)

// generalAssign is the sticky assignment for groups whose members subscribe
// to different topics. It reaches Java's balance criterion (no member with
// at least two partitions fewer than another may take any of that member's
// partitions) while moving as few held partitions as it can:
//
//  1. Each member keeps the held partitions of topics it still subscribes
//     to.
//  2. Every other partition goes to the least loaded member subscribed to
//     its topic (ties: member order), most constrained partitions first
//     (those with the fewest eligible members), so that partitions few
//     members can take are placed while there is still room.
//  3. While some member A holds a partition that an eligible member B with
//     at least two partitions fewer could take, it moves to the least loaded
//     such B, starting from the most loaded members and moving newly dealt
//     partitions before held ones. Each move lowers the sum of squared
//     counts, so the loop ends; when a full pass moves nothing the criterion
//     holds.
//
// held[m] lists the partitions member m holds after claim resolution.
func generalAssign(g *group, held [][]int) [][]int {
	numM, numP := len(g.members), g.numPartitions()
	eligible := make([][]int, len(g.topics))
	for m := range numM {
		for _, t := range g.subscribed[m] {
			eligible[t] = append(eligible[t], m)
		}
	}
	topicOf := make([]int, numP)
	for t := range g.topics {
		for p := g.first[t]; p < g.first[t+1]; p++ {
			topicOf[p] = t
		}
	}

	assigned := make([][]int, numM)
	placed := make([]bool, numP)
	kept := make([]bool, numP) // still with the member that held it
	for m := range numM {
		for _, p := range held[m] {
			if g.subscribes(m, topicOf[p]) {
				assigned[m] = append(assigned[m], p)
				placed[p], kept[p] = true, true
			}
		}
	}

	var free []int
	for p := range numP {
		if !placed[p] {
			free = append(free, p)
		}
	}
	slices.SortStableFunc(free, func(a, b int) int {
		return cmp.Compare(len(eligible[topicOf[a]]), len(eligible[topicOf[b]]))
	})
	leastLoadedOf := func(t int) int {
		best := eligible[t][0]
		for _, m := range eligible[t][1:] {
			if len(assigned[m]) < len(assigned[best]) {
				best = m
			}
		}
		return best
	}
	for _, p := range free {
		m := leastLoadedOf(topicOf[p])
		assigned[m] = append(assigned[m], p)
	}

	order := make([]int, numM)
	for m := range order {
		order[m] = m
	}
	for moved := true; moved; {
		moved = false
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(len(assigned[b]), len(assigned[a])) })
		for _, a := range order {
			for _, wantKept := range []bool{false, true} {
				for i := 0; i < len(assigned[a]); {
					p := assigned[a][i]
					if kept[p] != wantKept {
						i++
						continue
					}
					b := leastLoadedOf(topicOf[p])
					if len(assigned[a])-len(assigned[b]) < 2 {
						i++
						continue
					}
					last := len(assigned[a]) - 1
					assigned[a][i] = assigned[a][last]
					assigned[a] = assigned[a][:last]
					assigned[b] = append(assigned[b], p)
					kept[p] = false
					moved = true
				}
			}
		}
	}
	return assigned
}
