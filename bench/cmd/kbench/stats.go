package main

import (
	"slices"
)

// dist summarizes a sample: its size, median, minimum and maximum. The
// zero value is the empty sample.
type dist struct {
	n                int
	median, min, max float64
}

// distOf summarizes xs; the median of an even-sized sample is the mean of
// its two middle values.
func distOf(xs []float64) dist {
	if len(xs) == 0 {
		return dist{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	d := dist{n: len(s), min: s[0], max: s[len(s)-1]}
	if mid := len(s) / 2; len(s)%2 == 1 {
		d.median = s[mid]
	} else {
		d.median = (s[mid-1] + s[mid]) / 2
	}
	return d
}

// clientSummary is one client's runs of one scenario.
type clientSummary struct {
	name   string
	runs   int // attempted
	rps    dist
	cpuPM  dist // CPU seconds per million records
	rssMiB dist
	errs   []error
}

// summarize groups records by client, in the order of clients; only
// successful runs enter the distributions.
func summarize(records []runRecord, clients []string) []clientSummary {
	out := make([]clientSummary, 0, len(clients))
	for _, c := range clients {
		s := clientSummary{name: c}
		var rps, cpu, rss []float64
		for _, r := range records {
			if r.client != c {
				continue
			}
			s.runs++
			if !r.ok() {
				s.errs = append(s.errs, r.err)
				continue
			}
			rps = append(rps, r.result.RecordsPerSecond())
			cpu = append(cpu, r.cpuPerMillion())
			rss = append(rss, float64(r.use.maxRSS)/(1<<20))
		}
		s.rps, s.cpuPM, s.rssMiB = distOf(rps), distOf(cpu), distOf(rss)
		out = append(out, s)
	}
	return out
}

// ratio compares the subject with one peer. Per-run ratios pair the
// subject's and the peer's runs of the same round, both successful, so
// both saw the same machine moment as nearly as interleaving allows; the
// ratio of medians compares the two medians. For records/s above 1 favours
// the subject; for CPU per record below 1 does.
type ratio struct {
	peer         string
	rpsPerRun    dist
	rpsOfMedians float64
	cpuPerRun    dist
	cpuOfMedians float64
}

// ratios computes the subject's ratio against each peer; a peer with no
// successful run pairs is left out.
func ratios(records []runRecord, summaries []clientSummary, subject string, peers []string) []ratio {
	byRound := func(client string) map[int]runRecord {
		m := map[int]runRecord{}
		for _, r := range records {
			if r.client == client && r.ok() {
				m[r.round] = r
			}
		}
		return m
	}
	sum := func(name string) clientSummary {
		for _, s := range summaries {
			if s.name == name {
				return s
			}
		}
		return clientSummary{}
	}
	subj := byRound(subject)
	ss := sum(subject)
	var out []ratio
	for _, p := range peers {
		var rps, cpu []float64
		for round, pr := range byRound(p) {
			sr, ok := subj[round]
			if !ok || pr.result.RecordsPerSecond() == 0 || pr.cpuPerMillion() == 0 {
				continue
			}
			rps = append(rps, sr.result.RecordsPerSecond()/pr.result.RecordsPerSecond())
			cpu = append(cpu, sr.cpuPerMillion()/pr.cpuPerMillion())
		}
		if len(rps) == 0 {
			continue
		}
		ps := sum(p)
		out = append(out, ratio{
			peer:         p,
			rpsPerRun:    distOf(rps),
			rpsOfMedians: ss.rps.median / ps.rps.median,
			cpuPerRun:    distOf(cpu),
			cpuOfMedians: ss.cpuPM.median / ps.cpuPM.median,
		})
	}
	return out
}
