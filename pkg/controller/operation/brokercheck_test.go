package operation

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// The first check of an object is due within a period, at an offset its UID fixes; the
// next a period after a check; the check annotation, set after the last check, makes one
// due at once.
func TestChecksAreSpreadAndAskedFor(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	period := time.Hour
	c := newChecks()
	obj := &metav1.ObjectMeta{UID: types.UID("3f1c2d7e-0000-4000-8000-000000000001")}
	first := c.wait(obj, now, period)
	if first <= 0 || first >= period {
		t.Fatalf("first check due in %v, want within (0, %v)", first, period)
	}
	if again := c.wait(obj, now.Add(time.Minute), period); again != max(first-time.Minute, 0) {
		t.Errorf("asked again a minute later: due in %v, want %v", again, max(first-time.Minute, 0))
	}
	other := newChecks()
	if same := other.wait(obj, now, period); same != first {
		t.Errorf("a restarted controller: due in %v, want the same offset %v", same, first)
	}

	c.next(obj, now.Add(period)) // checked now
	if wait := c.wait(obj, now, period); wait != period {
		t.Errorf("after a check: due in %v, want %v", wait, period)
	}
	obj.Annotations = map[string]string{BrokerCheckAnnotation: now.Add(-time.Second).Format(time.RFC3339)}
	if wait := c.wait(obj, now, period); wait != period {
		t.Errorf("an annotation from before the check: due in %v, want %v", wait, period)
	}
	obj.Annotations[BrokerCheckAnnotation] = now.Add(time.Second).Format(time.RFC3339)
	if wait := c.wait(obj, now, period); wait != 0 {
		t.Errorf("an annotation from after the check: due in %v, want now", wait)
	}
}
