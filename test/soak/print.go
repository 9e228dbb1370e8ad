package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/kube-service-catalog/catalog/pkg/broker"
)

// maxPrinted bounds the findings printed per list; the report has them all.
const maxPrinted = 5

// print writes the summary of the run.
func (r *report) print(w io.Writer, path string) {
	f := r.Flags
	fmt.Fprintf(w, "\nSoak: %s instances, %s bindings, %s namespaces, %s brokers; faults on %s of broker answers (seed %s); wall time %.0fs (setup %.0fs); load average %s -> %s\n",
		f["instances"], f["bindings"], f["namespaces"], f["brokers"], f["fault-rate"], f["seed"], r.WallSeconds, r.SetupSeconds, r.Machine.LoadAvgBefore, r.Machine.LoadAvgAfter)
	r.printRun(w)
	r.printCheckpoints(w)
	r.printFigures(w)
	r.printTargets(w)
	for _, e := range r.Errors {
		fmt.Fprintln(w, "ERROR:", e)
	}
	for _, e := range r.Warnings {
		fmt.Fprintln(w, "warning:", e)
	}
	fmt.Fprintf(w, "report %s\n", path)
}

// printRun prints the steps, the faults and the kills.
func (r *report) printRun(w io.Writer) {
	var steps []string
	for _, s := range r.Steps {
		steps = append(steps, fmt.Sprintf("%s %d/%d in %.0fs", s.Name, s.Acknowledged, s.Operations, s.Seconds))
	}
	fmt.Fprintf(w, "Steps: %s\n", strings.Join(steps, "; "))
	inj, reqs := r.injected()
	total := 0
	var parts []string
	for _, fault := range broker.AllFaults {
		total += inj[fault]
		parts = append(parts, fmt.Sprintf("%s %d", fault, inj[fault]))
	}
	fmt.Fprintf(w, "Broker faults: %d of %d requests (%s)\n", total, reqs, strings.Join(parts, ", "))
	byTarget := map[string][]string{}
	for _, k := range r.Kills {
		name := k.Target
		if strings.HasPrefix(name, "catalog-controller-manager") {
			name = "controller manager"
		}
		d := fmt.Sprintf("%.1fs", k.DownSeconds)
		if k.Error != "" {
			d = "ERROR"
		}
		byTarget[name] = append(byTarget[name], d)
	}
	var kills []string
	for _, t := range slices.Sorted(maps.Keys(byTarget)) {
		kills = append(kills, fmt.Sprintf("%s %d (back after %s)", t, len(byTarget[t]), compact(byTarget[t], 6)))
	}
	fmt.Fprintf(w, "SIGKILLs: %s; replicas that exited on their own: %d\n", strings.Join(kills, "; "), len(r.ReplicaSelfExits))
}

// compact joins at most n values.
func compact(vs []string, n int) string {
	if len(vs) <= n {
		return strings.Join(vs, ", ")
	}
	return strings.Join(vs[:n], ", ") + fmt.Sprintf(", ... %d more", len(vs)-n)
}

// printCheckpoints prints a table of the checkpoints, then the first
// findings of each.
func (r *report) printCheckpoints(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "Checkpoint\tconverged\tReady\tFailed\tgone\tnot converged\tlost\torphans\tReady not at broker\twaited\t")
	for _, c := range r.Checkpoints {
		b := c.Tally.ByState
		fmt.Fprintf(tw, "%s\t%.2f%%\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.0fs\t\n", c.Name, c.converged(), b[stateReady], b[stateFailed],
			b[stateGone], len(c.NotConverged), len(c.Lost), len(c.Orphans), len(c.ReadyNotAtBroker), c.ConvergeSeconds)
	}
	_ = tw.Flush()
	for _, c := range r.Checkpoints {
		if len(c.Tally.FailedReasons) > 0 {
			fmt.Fprintf(w, "  %s: Failed: %v\n", c.Name, topReasons(c.Tally.FailedReasons, 5))
		}
		for _, fs := range [][]finding{c.NotConverged, c.Lost, c.Orphans, c.ReadyNotAtBroker} {
			printFindings(w, c.Name, fs)
		}
	}
}

// printFigures prints the duplicates, the requests per object and the leak
// scan.
func (r *report) printFigures(w io.Writer) {
	fmt.Fprintf(w, "Duplicate provisions: %d (duplicate binds: %d)\n", len(r.DuplicateProvisions), len(r.DuplicateBinds))
	printFindings(w, "run", r.DuplicateProvisions)
	printFindings(w, "run", r.DuplicateBinds)
	for _, p := range []struct {
		name string
		po   perObject
	}{{"instance", r.RequestsPerInstance}, {"binding", r.RequestsPerBinding}} {
		fmt.Fprintf(w, "Broker requests per %s: p50 %d, p99 %d, max %d (%s) over %d %ss\n",
			p.name, p.po.P50, p.po.P99, p.po.Max, orID(p.po.MaxObject, p.po.MaxID), p.po.Objects, p.name)
	}
	if l := r.Leaks; l != nil {
		fmt.Fprintf(w, "Credential leak scan: %d hits %v; searched %s for %s\n", l.total(), l.Hits, searched(l), secretCounts(l))
		for _, h := range l.Samples[:min(maxPrinted, len(l.Samples))] {
			fmt.Fprintf(w, "  leak: %s in %s (%s)\n", h.What, h.Where, h.Value)
		}
	}
}

// orID is the object's name, or the id when unknown.
func orID(object, id string) string {
	if object != "" {
		return object
	}
	return id
}

// searched describes the haystacks of a leak scan.
func searched(l *leakScan) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l.Searched)) {
		parts = append(parts, fmt.Sprintf("%d %s (%.1f MB)", l.Searched[k], k, float64(l.Bytes[k])/1e6))
	}
	return strings.Join(parts, ", ")
}

// secretCounts describes the secret values searched for.
func secretCounts(l *leakScan) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l.Secrets)) {
		parts = append(parts, fmt.Sprintf("%d %ss", l.Secrets[k], k))
	}
	return strings.Join(parts, ", ")
}

// printFindings prints the first findings of a list with their evidence.
func printFindings(w io.Writer, label string, fs []finding) {
	for i, f := range fs {
		if i == maxPrinted {
			fmt.Fprintf(w, "  ... %d more in the report\n", len(fs)-maxPrinted)
			return
		}
		fmt.Fprintf(w, "  %s: %s %s %s: %s\n", label, f.Check, orID(f.Object, f.ID), f.Broker, f.Detail)
		for _, e := range f.Evidence[:min(12, len(f.Evidence))] {
			fmt.Fprintf(w, "      %s\n", e)
		}
	}
}

// printTargets prints the targets and the verdict.
func (r *report) printTargets(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Target\tvalue\t")
	missed := 0
	for _, t := range r.Targets {
		verdict := "met"
		if !t.Met {
			verdict, missed = "MISSED", missed+1
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, t.Value, verdict)
	}
	_ = tw.Flush()
	switch {
	case len(r.Errors) > 0:
		fmt.Fprintf(w, "soak: FAILED: %d steps failed; %d of %d targets missed\n", len(r.Errors), missed, len(r.Targets))
	case missed > 0:
		fmt.Fprintf(w, "soak: %d of %d targets MISSED\n", missed, len(r.Targets))
	default:
		fmt.Fprintln(w, "soak: OK: every target met")
	}
}
