package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
)

// report is the JSON written to _output/bench/<timestamp>.json, for comparing
// commits.
type report struct {
	// Timestamp is the start of the run (UTC, RFC 3339).
	Timestamp string `json:"timestamp"`
	// Commit is HEAD; Dirty says the work tree had changes.
	Commit string `json:"commit"`
	Dirty  bool   `json:"dirty"`
	// Machine describes where it ran.
	Machine machine `json:"machine"`
	// Flags are the benchmark's flags.
	Flags map[string]string `json:"flags"`
	// Status is "ok" or "failed" (some measurement returned errors).
	Status string   `json:"status"`
	Errors []string `json:"errors,omitempty"`
	// WallSeconds is the whole run, builds and start-up included.
	WallSeconds float64         `json:"wallSeconds"`
	Section1    *section1Result `json:"section1,omitempty"`
	// Section2Small is section 2's small first batch (-small-instances),
	// Section2 its main batch (-instances).
	Section2Small *flowResult     `json:"section2Small,omitempty"`
	Section2      *flowResult     `json:"section2,omitempty"`
	Section3      *flowResult     `json:"section3,omitempty"`
	Section4      *section4Result `json:"section4,omitempty"`
	// Targets are every section's verdicts, as the summary prints them.
	Targets []verdict `json:"targets"`
}

// machine describes the host.
type machine struct {
	CPUs          int    `json:"cpus"`
	GoVersion     string `json:"goVersion"`
	KubeVersion   string `json:"kubeVersion"`
	EtcdVersion   string `json:"etcdVersion"`
	LoadAvgBefore string `json:"loadAvgBefore"`
	LoadAvgAfter  string `json:"loadAvgAfter"`
}

// verdicts returns every section's verdicts, in the order of the targets.
func (r *report) verdicts() []verdict {
	var out []verdict
	if r.Section1 != nil {
		out = append(out, r.Section1.Verdicts...)
	}
	for _, s := range r.flows() {
		out = append(out, s.result.Verdicts...)
	}
	if r.Section4 != nil {
		out = append(out, r.Section4.Verdicts...)
	}
	return out
}

// namedFlow is a flow section's result with its name in error messages.
type namedFlow struct {
	name   string
	result *flowResult
}

// flows returns the flow sections that ran: section 2's batches and
// section 3.
func (r *report) flows() []namedFlow {
	var out []namedFlow
	for _, s := range []namedFlow{{"section 2 (small batch)", r.Section2Small}, {"section 2", r.Section2}, {"section 3", r.Section3}} {
		if s.result != nil {
			out = append(out, s)
		}
	}
	return out
}

// table is a tab-separated table printed with aligned columns.
type table struct {
	w *tabwriter.Writer
}

func newTable(out io.Writer, header ...string) *table {
	t := &table{w: tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)}
	t.row(header...)
	return t
}

func (t *table) row(cells ...string) {
	fmt.Fprintln(t.w, strings.Join(cells, "\t")+"\t")
}

func (t *table) flush() { _ = t.w.Flush() }

// newLeftTable returns a writer of left-aligned tab-separated columns.
func newLeftTable(out io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
}

// f formats a figure with the given precision, or "-" for none.
func f(v float64, prec int) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.*f", prec, v)
}

// x formats a ratio, or "-" for none.
func x(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", v)
}

// printSection1 prints section 1's summary (a row per target, with ratios to
// the CRD and to raw etcd), its details and the verdicts per target.
func printSection1(out io.Writer, r *section1Result) {
	fmt.Fprintf(out, "\n== Section 1: catalog vs CRD, %d ServiceInstances per target, same run, targets alternating (status: %s)\n", r.ObjectsPerTarget, r.Status)
	for _, t := range r.Targets {
		fmt.Fprintf(out, "   %-10s %s\n", t.Name, t.Description)
	}
	byName := map[string]*targetResult{}
	for _, t := range r.Targets {
		byName[t.Name] = t
	}
	crd, etcd := byName[targetCRD], byName[targetEtcd]
	mem := map[string]*memoryResult{}
	for _, m := range r.Memory {
		for _, t := range m.Targets {
			if mem[t] == nil {
				mem[t] = m
			}
		}
	}

	header := []string{"target"}
	for _, l := range r.Levels {
		header = append(header, fmt.Sprintf("creates/s c=%d", l.Concurrency))
	}
	header = append(header, "vs CRD", "vs etcd", "LIST ms", "vs CRD", "vs etcd", "watch p99 ms", "RSS MiB/10k", "vs CRD")
	fmt.Fprintln(out, "\nSummary (ratios: creates/s over the reference's per level; LIST time and memory over the reference's)")
	tb := newTable(out, header...)
	for _, t := range r.Targets {
		row := []string{t.Name}
		var vsCRD, vsEtcd []string
		for i, c := range t.Creates {
			row = append(row, f(c.PerSecond, 0))
			vsCRD = append(vsCRD, ratioAt(c.PerSecond, crd, i))
			vsEtcd = append(vsEtcd, ratioAt(c.PerSecond, etcd, i))
		}
		row = append(row, strings.Join(vsCRD, "/"), strings.Join(vsEtcd, "/"))
		list := listP50(t)
		row = append(row, f(list, 1), x(ratio(list, listP50(crd))), x(ratio(list, listP50(etcd))))
		watchP99 := 0.0
		if t.Watch != nil {
			watchP99 = t.Watch.Delay.P99
		}
		row = append(row, f(watchP99, 1))
		var rss, crdRSS float64
		if m := mem[t.Name]; m != nil {
			rss = mib(m.RSSPer10k)
		}
		if m := mem[targetCRD]; m != nil {
			crdRSS = mib(m.RSSPer10k)
		}
		row = append(row, f(rss, 1), x(ratio(rss, crdRSS)))
		tb.row(row...)
	}
	tb.flush()

	fmt.Fprintln(out, "\nCreates (latency from sending to the answer, ms; CPU ms per create of the servers and of the benchmark client)")
	tb = newTable(out, "target", "c", "objects", "objects/s", "p50", "p99", "max", "errors", "server CPU", "client CPU")
	for i := range r.Levels {
		for _, t := range r.Targets {
			if i >= len(t.Creates) {
				continue
			}
			c := t.Creates[i]
			tb.row(t.Name, fmt.Sprint(c.Concurrency), fmt.Sprint(c.Objects), f(c.PerSecond, 1),
				f(c.Latency.P50, 2), f(c.Latency.P99, 2), f(c.Latency.Max, 2), fmt.Sprint(c.Errors),
				f(serverCPU(c.CPUPerObjectMs), 2), f(c.CPUPerObjectMs[benchProcess], 2))
		}
	}
	tb.flush()

	fmt.Fprintf(out, "\nLISTs of every object (ms, p50 and min-max over %d reads; timed until the body is read)\n", r.ListRepetitions)
	tb = newTable(out, "target", "JSON p50", "JSON min-max", "protobuf p50", fmt.Sprintf("limit=%d p50", r.PageSize), "pages", "bytes/object")
	for _, t := range r.Targets {
		if t.ListJSON == nil {
			continue
		}
		proto := "n/a (not served)"
		switch {
		case t.ListProtobuf != nil:
			proto = f(t.ListProtobuf.Latency.P50, 1)
		case t.Name == targetEtcd:
			proto = "n/a (raw bytes)"
		case strings.Contains(t.ProtobufAnswer, "HTTP 406"):
			proto = "n/a (406)"
		}
		tb.row(t.Name, f(t.ListJSON.Latency.P50, 1), fmt.Sprintf("%.1f-%.1f", t.ListJSON.Latency.Min, t.ListJSON.Latency.Max),
			proto, f(t.ListPaged.Latency.P50, 1), fmt.Sprint(t.ListPaged.Pages), f(t.ListJSON.BytesPerObject, 0))
	}
	tb.flush()

	fmt.Fprintln(out, "\nWatch delivery (ms from sending a create to its event on each watch)")
	tb = newTable(out, "target", "watches", "creates", "delivered", "p50", "p99", "max")
	for _, t := range r.Targets {
		if w := t.Watch; w != nil {
			tb.row(t.Name, fmt.Sprint(w.Watchers), fmt.Sprint(w.Events), fmt.Sprint(w.Delivered), f(w.Delay.P50, 2), f(w.Delay.P99, 2), f(w.Delay.Max, 2))
		}
	}
	tb.flush()

	fmt.Fprintln(out, "\nMemory (VmRSS of the serving process before and after the creates; Go heap in use after a forced GC)")
	tb = newTable(out, "process", "targets", "RSS before MiB", "RSS after MiB", "objects", "RSS MiB/10k", "heap MiB/10k")
	for _, m := range r.Memory {
		tb.row(m.Process, strings.Join(m.Targets, ","), f(mib(m.Before.RSS), 1), f(mib(m.After.RSS), 1),
			fmt.Sprint(m.Objects), f(mib(m.RSSPer10k), 1), f(mib(m.HeapPer10k), 1))
	}
	tb.flush()

	fmt.Fprintln(out, "\nTargets of section 1, per target:")
	for _, t := range r.Targets {
		fmt.Fprintf(out, "  %-10s %s\n", t.Name+":", targetLine(t.Name, r.Verdicts))
	}
	for _, n := range r.Notes {
		fmt.Fprintln(out, "  note:", n)
	}
	printErrors(out, r.Errors)
}

// ratioAt formats v over ref's create rate at level i.
func ratioAt(v float64, ref *targetResult, i int) string {
	if ref == nil || i >= len(ref.Creates) {
		return "-"
	}
	r := ratio(v, ref.Creates[i].PerSecond)
	if r == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", r)
}

// listP50 is t's unpaginated JSON LIST p50, or 0.
func listP50(t *targetResult) float64 {
	if t == nil || t.ListJSON == nil {
		return 0
	}
	return t.ListJSON.Latency.P50
}

// targetLine states, for one section-1 target, its targets' figures and
// whether they were met.
func targetLine(name string, vs []verdict) string {
	switch name {
	case targetCRD:
		return "the reference (the create targets compare against it)"
	case targetEtcd:
		return "the physical floor (no targets)"
	}
	var parts []string
	for _, v := range vs {
		if v.Subject == name {
			parts = append(parts, fmt.Sprintf("%s %s %s (%s)", v.Name, v.Goal, statusLabel(v.Status), v.Figure))
		}
	}
	if len(parts) == 0 {
		return "no targets measured"
	}
	return strings.Join(parts, "; ")
}

// printFlow prints section 2 or 3, whose objects are called units (one
// unit).
func printFlow(out io.Writer, title, units, unit string, r *flowResult) {
	fmt.Fprintf(out, "\n== %s (status: %s)\n", title, r.Status)
	switch {
	case r.Status == "skipped":
		fmt.Fprintf(out, "skipped: %s\n", r.Skipped)
		printVerdicts(out, r.Verdicts)
		printErrors(out, r.Errors)
		return
	case r.Objects == 0:
		fmt.Fprintln(out, "FAILED before measuring")
		printErrors(out, r.Errors)
		return
	}
	tb := newTable(out, units, "c", "creates s", "all done s", units+"/s", "p50 ms", "p99 ms", "max ms",
		"broker PUTs/"+unit, "broker calls/"+unit, "API writes/"+unit)
	tb.row(fmt.Sprintf("%d/%d", r.Finished, r.Objects), fmt.Sprint(r.Concurrency), f(r.CreateSeconds, 2), f(r.AllDoneSeconds, 2),
		f(r.PerSecond, 1), f(r.CreateToDone.P50, 0), f(r.CreateToDone.P99, 0), f(r.CreateToDone.Max, 0),
		fmt.Sprintf("%.2f", r.Broker.PUTsPerObject), fmt.Sprintf("%.2f", r.Broker.CallsPerObject), fmt.Sprintf("%.2f", r.APIWritesPerObject))
	tb.flush()
	fmt.Fprintf(out, "  done = %s; p50/p99/max from sending the create to done\n", r.Done)
	fmt.Fprintf(out, "  create answers: p50 %.1f ms, p99 %.1f ms, %d errors\n", r.CreateLatency.P50, r.CreateLatency.P99, r.CreateErrors)
	fmt.Fprintf(out, "  broker calls: %s (%d failed)\n", countList(r.Broker.Calls), r.Broker.Failed)
	fmt.Fprintf(out, "  our API server's writes per object: %s\n", perObjectList(r.APIWrites))
	fmt.Fprintf(out, "  kube-apiserver's writes per object: %s\n", perObjectList(r.KubeWrites))
	fmt.Fprintf(out, "  CPU ms per object: %s\n", perObjectList(r.CPUPerObjectMs))
	if c := r.Controller; c != nil {
		fmt.Fprintf(out, "  controller loop %s: %.2f syncs/object (%.2f failed), %.2f retries/object, mean sync %.1f ms, mean queue wait %.0f ms\n",
			c.Loop, c.SyncsPerObject, c.SyncErrorsPerObject, c.RetriesPerObject, c.MeanSyncMs, c.MeanQueueWaitMs)
	}
	fmt.Fprintf(out, "  setup: controller manager %s; kube-controller-manager running: %s\n", r.Setup["controllerManagerArgs"], r.Setup["kubeControllerManager"])
	printVerdicts(out, r.Verdicts)
	printErrors(out, r.Errors)
}

func countList(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func perObjectList(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %.2f", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func printErrors(out io.Writer, errs []string) {
	for _, e := range errs {
		fmt.Fprintln(out, "  ERROR:", e)
	}
}
