package main

import (
	"fmt"
	"strings"
)

// verdict says whether one performance target of the issues was met. A target
// that was not met is a finding, not an error: it does not fail the run.
type verdict struct {
	// Section is 1, 2 or 3.
	Section int `json:"section"`
	// Subject is what the target is about: a section-1 target name, or
	// "provisioning" / "binding".
	Subject string `json:"subject"`
	// Goal is the target, as the issue states it.
	Goal string `json:"goal"`
	// Status is "met", "not met", "unknown" (a figure is missing because
	// the measurement failed) or "skipped" (not measured, see Detail).
	Status string `json:"status"`
	// Detail gives the figures.
	Detail string `json:"detail"`
}

// Verdict statuses.
const (
	statusMet     = "met"
	statusNotMet  = "not met"
	statusUnknown = "unknown"
	statusSkipped = "skipped"
)

// check returns statusMet when ok, else statusNotMet; statusUnknown when known
// is false.
func check(known, ok bool) string {
	switch {
	case !known:
		return statusUnknown
	case ok:
		return statusMet
	default:
		return statusNotMet
	}
}

// section1Verdicts evaluates the four targets of section 1 for the direct and
// the aggregated target against the CRD, in the same run.
func section1Verdicts(r *section1Result) []verdict {
	byName := map[string]*targetResult{}
	for _, t := range r.Targets {
		byName[t.Name] = t
	}
	crd := byName[targetCRD]
	memOf := map[string]*memoryResult{}
	for _, m := range r.Memory {
		for _, t := range m.Targets {
			if _, dup := memOf[t]; !dup {
				memOf[t] = m
			}
		}
	}
	var out []verdict
	for _, name := range []string{targetDirect, targetAggregated} {
		t := byName[name]
		if t == nil || crd == nil {
			continue
		}
		need, goal := 2.0, "T1: creates at least 2x the CRD's rate (every concurrency)"
		if name == targetAggregated {
			need, goal = 1.0, "T2: creates at least the CRD's rate (every concurrency)"
		}
		out = append(out, createVerdict(name, goal, need, t, crd))

		var ours, theirs float64
		if t.ListJSON != nil && crd.ListJSON != nil {
			ours, theirs = t.ListJSON.Latency.P50, crd.ListJSON.Latency.P50
		}
		out = append(out, verdict{
			Section: 1, Subject: name,
			Goal:   fmt.Sprintf("T3: LIST of %d at most half the CRD's time (p50)", r.ObjectsPerTarget),
			Status: check(ours > 0 && theirs > 0, ours <= theirs/2),
			Detail: fmt.Sprintf("%.0f ms vs CRD %.0f ms = %.2fx", ours, theirs, ratio(ours, theirs)),
		})

		m, k := memOf[name], memOf[targetCRD]
		known := m != nil && k != nil && m.After.RSS > 0 && k.After.RSS > 0
		var mine, crdGrowth int64
		if known {
			mine, crdGrowth = m.RSSPer10k, k.RSSPer10k
		}
		out = append(out, verdict{
			Section: 1, Subject: name,
			Goal:   "T4: API server RSS growth per 10,000 instances at most the CRD's (kube-apiserver)",
			Status: check(known, mine <= crdGrowth),
			Detail: fmt.Sprintf("%.1f MiB vs CRD %.1f MiB per 10k", mib(mine), mib(crdGrowth)),
		})
	}
	return out
}

// createVerdict compares t's create rate with the CRD's at every level.
func createVerdict(name, goal string, need float64, t, crd *targetResult) verdict {
	v := verdict{Section: 1, Subject: name, Goal: goal}
	known, ok := len(t.Creates) > 0 && len(t.Creates) == len(crd.Creates), true
	var parts []string
	for i := range min(len(t.Creates), len(crd.Creates)) {
		x := ratio(t.Creates[i].PerSecond, crd.Creates[i].PerSecond)
		known = known && x > 0
		ok = ok && x >= need
		parts = append(parts, fmt.Sprintf("c=%d %.0f/s vs %.0f/s = %.2fx", t.Creates[i].Concurrency, t.Creates[i].PerSecond, crd.Creates[i].PerSecond, x))
	}
	v.Status = check(known, ok)
	v.Detail = strings.Join(parts, "; ")
	return v
}
