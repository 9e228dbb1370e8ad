package main

import (
	"fmt"
	"io"
	"strings"
)

// growthFigure is a figure of section 4 judged by how it grows with the size.
type growthFigure struct {
	name, unit string
	// rate says the figure is objects per second.
	rate  bool
	value func(*scaleStep) float64
}

// growthFigures lists the figures section 4 judges, in print order.
func growthFigures() []growthFigure {
	figs := []growthFigure{
		{"instances Ready/s (growth step)", "/s", true, func(st *scaleStep) float64 { return flowRate(st.Instances) }},
		{"bindings with their Secret/s (growth step)", "/s", true, func(st *scaleStep) float64 { return flowRate(st.Bindings) }},
		{"CRD creates/s (growth step)", "/s", true, func(st *scaleStep) float64 {
			if st.CRD == nil {
				return 0
			}
			return st.CRD.PerSecond
		}},
	}
	for _, k := range readKinds {
		for _, target := range []string{targetDirect, targetAggregated, targetCRD} {
			figs = append(figs, growthFigure{k.label + ", " + target, "ms", false, func(st *scaleStep) float64 { return readP50(st, target, k.key) }})
		}
	}
	for _, p := range []string{procCatalog, procKube, procController} {
		figs = append(figs, growthFigure{"RSS of " + p, "MiB", false, func(st *scaleStep) float64 { return mib(st.Memory[p].RSS) }})
	}
	for _, p := range []string{procCatalog, procKubeEtcd} {
		figs = append(figs, growthFigure{"etcd file of " + p, "MiB", false, func(st *scaleStep) float64 { return mib(st.EtcdDBBytes[p]) }})
	}
	return append(figs,
		growthFigure{"controller manager ready after a restart", "s", false, func(st *scaleStep) float64 { return resyncFigure(st, false) }},
		growthFigure{"controller manager synced after a restart", "s", false, func(st *scaleStep) float64 { return resyncFigure(st, true) }},
		growthFigure{"new instance create-to-Ready p50", "ms", false, func(st *scaleStep) float64 {
			if st.NewInstance == nil {
				return 0
			}
			return st.NewInstance.CreateToDone.P50
		}},
	)
}

// growthRows judges every figure of growthFigures over the steps.
func growthRows(steps []*scaleStep) []growth {
	sizes := make([]int, len(steps))
	for i, st := range steps {
		sizes[i] = st.Size
	}
	var out []growth
	for _, fig := range growthFigures() {
		values := make([]float64, len(steps))
		for i, st := range steps {
			values[i] = fig.value(st)
		}
		out = append(out, newGrowth(fig.name, fig.unit, fig.rate, sizes, values))
	}
	return out
}

// flowRate is a flow's objects per second, 0 if it did not run.
func flowRate(r *flowResult) float64 {
	if r == nil {
		return 0
	}
	return r.PerSecond
}

// readP50 is the p50 in ms of one read kind of one reader at a step, 0 if
// not measured.
func readP50(st *scaleStep, target, key string) float64 {
	for _, r := range st.Reads {
		if l := r.Reads[key]; r.Target == target && l != nil {
			return l.Latency.P50
		}
	}
	return 0
}

// resyncFigure is the step's resync ready or synced seconds, 0 if not
// measured.
func resyncFigure(st *scaleStep, synced bool) float64 {
	switch {
	case st.Resync == nil:
		return 0
	case synced:
		return st.Resync.SyncedSeconds
	}
	return st.Resync.ReadySeconds
}

// scaleVerdicts holds the largest size measured to the scale targets: our
// LIST of one namespace against the CRD's, our API server's RSS against
// kube-apiserver's, and the controller manager's RSS.
func scaleVerdicts(r *section4Result) []verdict {
	var last *scaleStep
	for _, st := range r.Steps {
		if len(st.Reads) > 0 || len(st.Memory) > 0 {
			last = st
		}
	}
	if last == nil {
		return nil
	}
	at, note := count(last.Size), sizeNote(last.Size, targetScaleSize)
	ours, crd, direct := readP50(last, targetAggregated, "oneNamespace"), readP50(last, targetCRD, "oneNamespace"), readP50(last, targetDirect, "oneNamespace")
	x := ratio(ours, crd)
	catalogRSS, kubeRSS, cmRSS := last.Memory[procCatalog].RSS, last.Memory[procKube].RSS, last.Memory[procController].RSS
	return []verdict{
		{
			Section: 4, Subject: "scale", Name: fmt.Sprintf("LIST of one namespace vs the CRD's, at %s", at),
			Figure: fmt.Sprintf("%.2fx (%.0f ms through the aggregator vs %.0f ms; direct %.0f ms)", x, ours, crd, direct),
			Goal:   fmt.Sprintf("< %.1fx", targetListRatio), Status: check(x > 0, x < targetListRatio), Note: note,
		},
		{
			Section: 4, Subject: "scale", Name: fmt.Sprintf("API server RSS vs kube-apiserver's with the CRD, at %s", at),
			Figure: fmt.Sprintf("%.0f MiB vs %.0f MiB", mib(catalogRSS), mib(kubeRSS)),
			Goal:   "< the CRD's", Status: check(catalogRSS > 0 && kubeRSS > 0, catalogRSS < kubeRSS), Note: note,
		},
		{
			Section: 4, Subject: "scale", Name: fmt.Sprintf("controller-manager RSS, at %s", at),
			Figure: fmt.Sprintf("%.0f MiB", mib(cmRSS)),
			Goal:   "< 1 GiB", Status: check(cmRSS > 0, cmRSS < targetControllerRSS), Note: note,
		},
	}
}

// printSection4 prints section 4: the growth steps, the reads, memory and
// the controller manager at each size, how every figure grows, and the
// targets.
func printSection4(out io.Writer, r *section4Result) {
	var sizes []string
	for _, s := range r.Sizes {
		sizes = append(sizes, count(s))
	}
	fmt.Fprintf(out, "\n== Section 4: scale curve: %s instances with a binding each, and as many CRD objects, in namespaces of %s (status: %s)\n",
		strings.Join(sizes, ", "), count(r.NamespaceSize), r.Status)
	if len(r.Steps) == 0 {
		fmt.Fprintln(out, "FAILED before measuring")
		printErrors(out, r.Errors)
		return
	}
	printScaleSteps(out, r)
	printScaleReads(out, r)
	printScaleState(out, r)
	printGrowth(out, r.Growth)
	fmt.Fprintln(out, "\nTargets of section 4 (at the largest size):")
	printVerdicts(out, r.Verdicts)
	for _, n := range r.Notes {
		fmt.Fprintln(out, "  note:", n)
	}
	printErrors(out, r.Errors)
}

// printScaleSteps prints the growth steps: rates until Ready (instances),
// until the Secret exists (bindings) and of the CRD's creates, p99 and the
// broker's PUTs per object.
func printScaleSteps(out io.Writer, r *section4Result) {
	fmt.Fprintf(out, "\nGrowth steps (the new objects created at once at c=%d; instances until Ready, bindings until their Secret exists)\n", r.Concurrency)
	tb := newTable(out, "size", "new", "instances/s", "p99 Ready ms", "bindings/s", "p99 Secret ms", "CRD creates/s",
		"PUTs/instance", "PUTs/binding", "step s")
	for _, st := range r.Steps {
		row := []string{count(st.Size), count(st.New)}
		for _, fr := range []*flowResult{st.Instances, st.Bindings} {
			if fr == nil {
				row = append(row, "-", "-")
				continue
			}
			row = append(row, f(fr.PerSecond, 1), f(fr.CreateToDone.P99, 0))
		}
		crd := 0.0
		if st.CRD != nil {
			crd = st.CRD.PerSecond
		}
		row = append(row, f(crd, 1), putsPer(st.Instances), putsPer(st.Bindings), f(st.Seconds, 0))
		tb.row(row...)
	}
	tb.flush()
}

// putsPer is a flow's broker PUTs per object, "-" if it did not run.
func putsPer(r *flowResult) string {
	if r == nil || r.Objects == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", r.Broker.PUTsPerObject)
}

// printScaleReads prints the reads' p50 per size and reader.
func printScaleReads(out io.Writer, r *section4Result) {
	fmt.Fprintln(out, "\nReads (p50 ms; LISTs timed until the body is read; see the notes for what each read is)")
	header := []string{"size", "reader"}
	for _, k := range readKinds {
		header = append(header, k.label)
	}
	tb := newTable(out, header...)
	for _, st := range r.Steps {
		for _, rd := range st.Reads {
			row := []string{count(st.Size), rd.Target}
			for _, k := range readKinds {
				row = append(row, f(readP50(st, rd.Target, k.key), 1))
			}
			tb.row(row...)
		}
	}
	tb.flush()
}

// printScaleState prints memory, etcd files, the controller manager's
// restart and new instances' time to Ready per size.
func printScaleState(out io.Writer, r *section4Result) {
	fmt.Fprintf(out, "\nMemory (VmRSS MiB), etcd files (MiB; quota %.0f each), controller manager restart (s), new instances (create-to-Ready ms)\n", mib(etcdQuota))
	tb := newTable(out, "size", procCatalog, procKube, procController, "kube etcd", "catalog etcd file", "kube etcd file",
		"CM ready", "CM synced", "new p50", "new max")
	for _, st := range r.Steps {
		row := []string{count(st.Size)}
		for _, p := range []string{procCatalog, procKube, procController, procKubeEtcd} {
			row = append(row, f(mib(st.Memory[p].RSS), 0))
		}
		row = append(row, f(mib(st.EtcdDBBytes[procCatalog]), 0), f(mib(st.EtcdDBBytes[procKubeEtcd]), 0),
			f(resyncFigure(st, false), 1), f(resyncFigure(st, true), 1))
		if n := st.NewInstance; n != nil {
			row = append(row, f(n.CreateToDone.P50, 0), f(n.CreateToDone.Max, 0))
		} else {
			row = append(row, "-", "-")
		}
		tb.row(row...)
	}
	tb.flush()
}

// printGrowth prints a line per figure: its value at the smallest and the
// largest size, the cost per object's ratio between them, the exponent and
// the verdict.
func printGrowth(out io.Writer, gs []growth) {
	if len(gs) == 0 || len(gs[0].Sizes) < 2 {
		fmt.Fprintln(out, "\nGrowth: one size only, nothing to compare")
		return
	}
	sizes := gs[0].Sizes
	first, last := sizes[0], sizes[len(sizes)-1]
	fmt.Fprintf(out, "\nGrowth from %s to %s (cost: the figure, or for a rate the time to create the size's objects; exponent of the cost: 1 linear, 0 constant; superlinear above %.1f)\n",
		count(first), count(last), 1+growthSlack)
	tw := newLeftTable(out)
	fmt.Fprintf(tw, "  figure\tat %s\tat %s\tcost per object\texponent\tverdict\n", count(first), count(last))
	for _, g := range gs {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", g.Figure, value(g.Values[0], g.Unit), value(g.Values[len(g.Values)-1], g.Unit),
			x(g.PerObjectRatio), f(g.Exponent, 2), g.verdictText())
	}
	_ = tw.Flush()
}

// value formats a figure with its unit, or "-" for none.
func value(v float64, unit string) string {
	if v == 0 {
		return "-"
	}
	if unit == "/s" {
		return fmt.Sprintf("%.1f/s", v)
	}
	return fmt.Sprintf("%.1f %s", v, unit)
}
