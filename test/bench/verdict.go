package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// verdict says whether one performance target was met. A target that was not
// met is a finding, not an error: it does not fail the run.
type verdict struct {
	// Section is the section that measured the figure, 1 to 4.
	Section int `json:"section"`
	// Subject is what the target is about: a section-1 target name,
	// "provisioning", "binding" or "scale".
	Subject string `json:"subject"`
	// Name says what is measured, e.g. "direct creates vs the CRD, c=16".
	Name string `json:"name"`
	// Figure is the measured figure, e.g. "2.31x (1843/s vs 797/s)".
	Figure string `json:"figure"`
	// Goal is the target the figure is held to, e.g. ">= 2.0x".
	Goal string `json:"goal"`
	// Status is "met", "not met", "unknown" (a figure is missing because
	// the measurement failed) or "skipped" (not measured, see Figure).
	Status string `json:"status"`
	// Note qualifies the verdict, e.g. when the figure was measured at a
	// smaller size than the target is stated for.
	Note string `json:"note,omitempty"`
}

// Verdict statuses.
const (
	statusMet     = "met"
	statusNotMet  = "not met"
	statusUnknown = "unknown"
	statusSkipped = "skipped"
)

// The targets. Ratios are measured side by side in one run.
const (
	// directNeedC1 and directNeed are the least ratio of the direct
	// target's creates/s to the CRD's, at c=1 and at higher concurrency.
	directNeedC1 = 1.5
	directNeed   = 2.0
	// aggregatedNeed is the least ratio of the aggregated target's
	// creates/s to the CRD's, at every concurrency.
	aggregatedNeed = 1.0
	// targetFlowObjects is the N the end-to-end targets are stated for,
	// targetSmallObjects the N of the tighter p99 target.
	targetFlowObjects  = 1000
	targetSmallObjects = 100
	// targetPerSecond is the least rate of instances Ready and of bindings
	// with their Secret, at N=targetFlowObjects.
	targetPerSecond = 300.0
	// targetReadyP99 and targetReadyP99Small bound the p99 create-to-Ready
	// at N=targetFlowObjects and N=targetSmallObjects.
	targetReadyP99      = 2 * time.Second
	targetReadyP99Small = time.Second
	// targetScaleSize is the store size the scale targets are stated for.
	targetScaleSize = 100000
	// targetListRatio bounds our LIST of one namespace of 1,000 relative
	// to the CRD's at targetScaleSize.
	targetListRatio = 0.5
	// targetControllerRSS bounds the controller manager's RSS at
	// targetScaleSize.
	targetControllerRSS = 1 << 30
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

// sizeNote says that a figure was measured at another size than the target
// is stated for; "" when the sizes are equal.
func sizeNote(measured, stated int) string {
	if measured == stated {
		return ""
	}
	return fmt.Sprintf("measured at %s, the target is stated at %s", count(measured), count(stated))
}

// count formats n with thousands separators.
func count(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// createNeed is the least ratio of target's creates/s to the CRD's at
// concurrency c; false for a target without a create target.
func createNeed(target string, c int) (float64, bool) {
	switch {
	case target == targetDirect && c == 1:
		return directNeedC1, true
	case target == targetDirect:
		return directNeed, true
	case target == targetAggregated:
		return aggregatedNeed, true
	}
	return 0, false
}

// section1Verdicts holds the direct and the aggregated target's creates/s to
// the CRD's, level by level, in the same run.
func section1Verdicts(r *section1Result) []verdict {
	byName := map[string]*targetResult{}
	for _, t := range r.Targets {
		byName[t.Name] = t
	}
	crd := byName[targetCRD]
	var out []verdict
	for _, name := range []string{targetDirect, targetAggregated} {
		t := byName[name]
		if t == nil || crd == nil {
			continue
		}
		for i, c := range t.Creates {
			need, _ := createNeed(name, c.Concurrency)
			v := verdict{
				Section: 1, Subject: name,
				Name: fmt.Sprintf("%s creates vs the CRD's, c=%d", name, c.Concurrency),
				Goal: fmt.Sprintf(">= %.1fx", need),
			}
			theirs := 0.0
			if i < len(crd.Creates) && crd.Creates[i].Concurrency == c.Concurrency {
				theirs = crd.Creates[i].PerSecond
			}
			x := ratio(c.PerSecond, theirs)
			v.Status = check(x > 0, x >= need)
			v.Figure = fmt.Sprintf("%.2fx (%.0f/s vs %.0f/s)", x, c.PerSecond, theirs)
			out = append(out, v)
		}
	}
	return out
}

// rateVerdict holds a flow's objects/s to targetPerSecond.
func rateVerdict(section int, subject, units string, r *flowResult) verdict {
	return verdict{
		Section: section, Subject: subject,
		Name:   fmt.Sprintf("%s/s end to end, N=%s", units, count(r.Objects)),
		Figure: fmt.Sprintf("%.1f/s (%d in %.2fs)", r.PerSecond, r.Finished, r.AllDoneSeconds),
		Goal:   fmt.Sprintf(">= %.0f/s", targetPerSecond),
		Status: check(r.PerSecond > 0, r.PerSecond >= targetPerSecond),
		Note:   sizeNote(r.Objects, targetFlowObjects),
	}
}

// onePUTVerdict checks that the broker got exactly one PUT per object of a
// flow.
func onePUTVerdict(section int, subject, unit string, r *flowResult) verdict {
	b := r.Broker
	return verdict{
		Section: section, Subject: subject,
		Name:   fmt.Sprintf("broker PUTs per %s, N=%s", unit, count(r.Objects)),
		Figure: fmt.Sprintf("%d of %d got exactly one (most: %d)", b.ExactlyOnePUT, r.Objects, b.MaxPUTs),
		Goal:   "exactly 1",
		Status: check(b.Objects > 0, b.ExactlyOnePUT == r.Objects && b.ObjectsWithPUT == r.Objects),
		Note:   sizeNote(r.Objects, targetFlowObjects),
	}
}

// readyP99Verdict holds a flow's p99 create-to-done to limit, stated for
// N=stated.
func readyP99Verdict(section int, subject string, r *flowResult, limit time.Duration, stated int) verdict {
	p99 := r.CreateToDone.P99
	return verdict{
		Section: section, Subject: subject,
		Name:   fmt.Sprintf("p99 create-to-Ready, N=%s", count(r.Objects)),
		Figure: fmt.Sprintf("%.0f ms (p50 %.0f ms)", p99, r.CreateToDone.P50),
		Goal:   "<= " + limit.String(),
		Status: check(r.CreateToDone.Count == r.Objects && r.Objects > 0, p99 <= float64(limit.Milliseconds())),
		Note:   sizeNote(r.Objects, stated),
	}
}

// statusLabel is a verdict status as the summary prints it.
func statusLabel(s string) string {
	if s == statusMet {
		return s
	}
	return strings.ToUpper(s)
}

// printTargets prints the "Targets:" block: every target with its figure,
// its goal and whether it was met.
func printTargets(out io.Writer, vs []verdict) {
	fmt.Fprintln(out, "\nTargets:")
	if len(vs) == 0 {
		fmt.Fprintln(out, "  none measured")
		return
	}
	tw := newLeftTable(out)
	for _, v := range vs {
		line := fmt.Sprintf("  %s\t%s\t%s\t%s", v.Name, v.Figure, v.Goal, statusLabel(v.Status))
		if v.Note != "" {
			line += "\t(" + v.Note + ")"
		}
		fmt.Fprintln(tw, line)
	}
	_ = tw.Flush()
}

// printVerdicts prints a section's verdicts, one per line.
func printVerdicts(out io.Writer, vs []verdict) {
	tw := newLeftTable(out)
	for _, v := range vs {
		fmt.Fprintf(tw, "  target: %s\t%s\t%s\t%s\n", v.Name, v.Goal, statusLabel(v.Status), v.Figure)
	}
	_ = tw.Flush()
}
