package controller

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPollingDelay(t *testing.T) {
	p := Polling{MinInterval: 2 * time.Second, MaxInterval: time.Minute}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	started := func(ago time.Duration) *metav1.Time { t := metav1.NewTime(now.Add(-ago)); return &t }
	for _, tc := range []struct {
		name       string
		start      *metav1.Time
		retryAfter time.Duration
		want       time.Duration
	}{
		{"the broker's Retry-After wins", started(time.Hour), 7 * time.Second, 7 * time.Second},
		{"a Retry-After above the max is still the broker's", started(0), 5 * time.Minute, 5 * time.Minute},
		{"no start time", nil, 0, 2 * time.Second},
		{"a young operation is polled at the min", started(5 * time.Second), 0, 2 * time.Second},
		{"a tenth of the age in between", started(150 * time.Second), 0, 15 * time.Second},
		{"an old operation is polled at the max", started(3 * time.Hour), 0, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Delay(tc.start, now, tc.retryAfter); got != tc.want {
				t.Errorf("Delay = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPollingExpired(t *testing.T) {
	p := Polling{MaxDuration: time.Hour}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	started := func(ago time.Duration) *metav1.Time { t := metav1.NewTime(now.Add(-ago)); return &t }
	limit := func(d time.Duration) *metav1.Duration { return &metav1.Duration{Duration: d} }
	for _, tc := range []struct {
		name    string
		p       Polling
		start   *metav1.Time
		plan    *metav1.Duration
		expired bool
	}{
		{"no start time", p, nil, nil, false},
		{"within the controller's limit", p, started(59 * time.Minute), nil, false},
		{"exactly at the limit", p, started(time.Hour), nil, false},
		{"past the controller's limit", p, started(61 * time.Minute), nil, true},
		{"the plan's shorter limit wins", p, started(10 * time.Minute), limit(5 * time.Minute), true},
		{"the controller's limit ends a plan's longer one", p, started(2 * time.Hour), limit(3 * time.Hour), true},
		{"the plan's limit when the controller sets none", Polling{}, started(2 * time.Hour), limit(3 * time.Hour), false},
		{"no limit at all", Polling{}, started(1000 * time.Hour), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Expired(tc.start, now, tc.plan); got != tc.expired {
				t.Errorf("Expired = %t, want %t", got, tc.expired)
			}
		})
	}
}
