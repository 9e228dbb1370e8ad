package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Bounds of the evidence gathered per finding.
const (
	evidenceFindings = 20 // findings per list that get evidence
	evidenceHistory  = 24 // broker history lines per finding
	evidenceLogLines = 12 // controller log lines per finding
)

// addEvidence adds to the first findings of each list the object's state in
// v (if v is set), the brokers' history of its id, and the controller
// managers' log lines that name it.
func (s *soak) addEvidence(v *view, recs []*brokerRecord, lists ...[]finding) {
	byName := map[string]*object{}
	for _, o := range s.ledger.all() {
		byName[o.kind.String()+" "+o.key()] = o
	}
	var needles []string
	var targets []*finding
	for _, fs := range lists {
		for i := range fs[:min(evidenceFindings, len(fs))] {
			f := &fs[i]
			if o := byName[f.Object]; o != nil {
				f.Evidence = append(f.Evidence, objectState(o, v)...)
				if f.ID == "" {
					f.ID = o.externalID
				}
			}
			if f.ID != "" {
				f.Evidence = append(f.Evidence, historyOf(recs, f.ID, evidenceHistory)...)
			}
			targets = append(targets, f)
			needles = append(needles, logNeedle(f, byName[f.Object]))
		}
	}
	lines := s.grepControllerLogs(needles)
	for i, f := range targets {
		f.Evidence = append(f.Evidence, lines[i]...)
	}
}

// logNeedle is what a controller log line about f's object contains: its
// namespace/name, else its id.
func logNeedle(f *finding, o *object) string {
	if o != nil {
		return o.key()
	}
	return f.ID
}

// objectState describes o in v: its deletion, operation and conditions.
func objectState(o *object, v *view) []string {
	if v == nil {
		return nil
	}
	var conds []metav1.Condition
	var line string
	if si := v.instances[o.key()]; o.kind == kindInstance && si != nil {
		conds = si.Status.Conditions
		line = fmt.Sprintf("object: generation %d, deleting %v, currentOperation %q, asyncOpInProgress %v, orphanMitigation %v, attempts %d",
			si.Generation, si.DeletionTimestamp != nil, si.Status.CurrentOperation, si.Status.AsyncOpInProgress, si.Status.OrphanMitigationInProgress, si.Status.Attempts.Count)
	} else if sb := v.bindings[o.key()]; o.kind == kindBinding && sb != nil {
		conds = sb.Status.Conditions
		line = fmt.Sprintf("object: generation %d, deleting %v, currentOperation %q, asyncOpInProgress %v, orphanMitigation %v, attempts %d",
			sb.Generation, sb.DeletionTimestamp != nil, sb.Status.CurrentOperation, sb.Status.AsyncOpInProgress, sb.Status.OrphanMitigationInProgress, sb.Status.Attempts.Count)
	} else {
		return []string{"object: does not exist"}
	}
	out := []string{line}
	for _, c := range conds {
		out = append(out, fmt.Sprintf("condition %s=%s %s (generation %d, %s): %s", c.Type, c.Status, c.Reason, c.ObservedGeneration, c.LastTransitionTime.UTC().Format("15:04:05"), c.Message))
	}
	return out
}

// grepControllerLogs returns, for each needle, the last log lines of the
// controller-manager replicas that contain it.
func (s *soak) grepControllerLogs(needles []string) [][]string {
	out := make([][]string, len(needles))
	if len(needles) == 0 {
		return out
	}
	files, _ := filepath.Glob(filepath.Join(s.e.stack.Dir, "logs", "catalog-controller-manager-*.log"))
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			line := sc.Text()
			for i, n := range needles {
				if n != "" && strings.Contains(line, n) {
					out[i] = appendLast(out[i], filepath.Base(file)+": "+line, evidenceLogLines)
				}
			}
		}
		_ = f.Close()
	}
	return out
}

// appendLast appends line, keeping the last n.
func appendLast(lines []string, line string, n int) []string {
	lines = append(lines, line)
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
