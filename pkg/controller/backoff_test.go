package controller

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

func TestBackoffDoublesUpToTheCapAndRoundsTheNextTimeUpToASecond(t *testing.T) {
	b := Backoff{Base: 10 * time.Second, Max: time.Minute}
	now := time.Date(2026, 1, 2, 3, 4, 5, 500_000_000, time.UTC)
	var attempts v1beta1.OperationAttempts
	for i, base := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute} {
		wait := b.Failed(&attempts, now)
		if attempts.Count != int32(i+1) {
			t.Fatalf("failure %d: count %d", i+1, attempts.Count)
		}
		next := attempts.NextAttemptTime
		if next == nil {
			t.Fatalf("failure %d: no next attempt time", i+1)
		}
		// Status keeps whole seconds: the stored time must not be earlier than the wait.
		if next.Nanosecond() != 0 {
			t.Errorf("failure %d: next attempt %s is not a whole second", i+1, next.Time)
		}
		if extra := next.Sub(now) - base; extra <= 0 || extra > time.Second {
			t.Errorf("failure %d: next attempt %s is %s after now, want %s rounded up to a second", i+1, next.Time, next.Sub(now), base)
		}
		if wait != next.Sub(now) {
			t.Errorf("failure %d: returned wait %s, but the next attempt is %s away", i+1, wait, next.Sub(now))
		}
	}
}

func TestBackoffOnAWholeSecondAndWithAMaxBelowTheBase(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var attempts v1beta1.OperationAttempts
	if wait := (Backoff{Base: time.Minute, Max: 30 * time.Second}).Failed(&attempts, now); wait <= 30*time.Second-time.Nanosecond || wait > 31*time.Second {
		t.Errorf("wait %s, want the max, 30s, rounded up", wait)
	}
	// Many failures neither overflow nor pass the cap.
	attempts = v1beta1.OperationAttempts{Count: 1000}
	if wait := (Backoff{Base: time.Second, Max: time.Hour}).Failed(&attempts, now); wait < time.Hour || wait > time.Hour+time.Second {
		t.Errorf("wait after 1000 failures %s, want an hour", wait)
	}
}

func TestRemaining(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time { t := metav1.NewTime(now.Add(d)); return &t }
	for _, tc := range []struct {
		name string
		next *metav1.Time
		want time.Duration
	}{
		{"no next attempt", nil, 0},
		{"due in the future", at(90 * time.Second), 90 * time.Second},
		{"due now", at(0), 0},
		{"past due", at(-time.Minute), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Remaining(v1beta1.OperationAttempts{Count: 3, NextAttemptTime: tc.next}, now); got != tc.want {
				t.Errorf("Remaining = %s, want %s", got, tc.want)
			}
		})
	}
}
