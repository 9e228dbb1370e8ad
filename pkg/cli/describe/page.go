package describe

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// page writes the lines of a story: "Label:  value" fields aligned as kubectl describe
// aligns them, sections of indented rows, and times with how long ago they were.
type page struct {
	tw  *tabwriter.Writer
	now time.Time
}

func newPage(w io.Writer, now time.Time) *page {
	return &page{tw: tabwriter.NewWriter(w, 0, 8, 2, ' ', 0), now: now}
}

// flush writes out what the page holds.
func (p *page) flush() error {
	return p.tw.Flush()
}

// field writes "label:  value", unless value is empty.
func (p *page) field(label, value string) {
	if value == "" {
		return
	}
	fmt.Fprintf(p.tw, "%s:\t%s\n", label, value)
}

// section writes a section's title.
func (p *page) section(title string) {
	fmt.Fprintf(p.tw, "%s:\n", title)
}

// row writes the cells of a row of a section; a cell's line breaks become spaces.
func (p *page) row(cells ...string) {
	for i, c := range cells {
		cells[i] = strings.Join(strings.Fields(c), " ")
	}
	fmt.Fprintf(p.tw, "  %s\n", strings.Join(cells, "\t"))
}

// when writes a time and how long ago it was, or how soon it is: "2026-05-01T12:00:00Z
// (5m ago)"; "" for no time.
func (p *page) when(t *metav1.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return fmt.Sprintf("%s (%s)", t.UTC().Format(time.RFC3339), p.relative(t.Time))
}

// relative says how long ago t was, or how soon it is: "5m ago", "in 30s", "now".
func (p *page) relative(t time.Time) string {
	switch d := p.now.Sub(t); {
	case d > 0:
		return duration.HumanDuration(d) + " ago"
	case d < 0:
		return "in " + duration.HumanDuration(-d)
	}
	return "now"
}

// ago says how long ago t was, as a table's AGE column does.
func (p *page) ago(t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(p.now.Sub(t.Time))
}
