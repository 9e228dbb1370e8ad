package controller

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Polling paces the polls of an asynchronous broker operation and says when to give up.
type Polling struct {
	// MinInterval and MaxInterval bound the wait between polls when the broker sends no
	// Retry-After: a tenth of the operation's age, within these bounds, so that short
	// operations are noticed fast and long ones are not polled needlessly often.
	MinInterval, MaxInterval time.Duration
	// MaxDuration ends polling, or sooner when the plan's maximum_polling_duration is
	// shorter.
	MaxDuration time.Duration
}

// Delay is the wait before the next poll of an operation that started at start: the
// broker's Retry-After when it sent one.
func (p Polling) Delay(start *metav1.Time, now time.Time, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	delay := p.MinInterval
	if start != nil {
		if d := now.Sub(start.Time) / 10; d > delay {
			delay = d
		}
	}
	return min(delay, p.MaxInterval)
}

// Expired tells whether an operation that started at start outlasted its polling
// duration (see limit); it then counts as failed.
func (p Polling) Expired(start *metav1.Time, now time.Time, planLimit *metav1.Duration) bool {
	limit := p.limit(planLimit)
	return start != nil && limit > 0 && now.Sub(start.Time) > limit
}

// Left returns how much of its polling duration (see limit) is left for an operation that
// started at start; ok is false when there is no limit.
func (p Polling) Left(start *metav1.Time, now time.Time, planLimit *metav1.Duration) (left time.Duration, ok bool) {
	limit := p.limit(planLimit)
	if start == nil || limit <= 0 {
		return 0, false
	}
	return max(start.Add(limit).Sub(now), 0), true
}

// limit is the polling duration of an operation: the shorter of the plan's maximum
// (planLimit, when set) and the controller's, as polling stops when either is reached;
// 0 means none.
func (p Polling) limit(planLimit *metav1.Duration) time.Duration {
	switch {
	case planLimit == nil || planLimit.Duration <= 0:
		return p.MaxDuration
	case p.MaxDuration <= 0:
		return planLimit.Duration
	}
	return min(p.MaxDuration, planLimit.Duration)
}
