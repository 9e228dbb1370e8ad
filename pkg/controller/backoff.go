package controller

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// Backoff spaces out the attempts of a failing broker operation: base after the first
// failure, doubling after each further one, never more than max.
type Backoff struct {
	// Base is the wait after the first failure.
	Base time.Duration
	// Max caps the wait.
	Max time.Duration
}

// Failed records a failed attempt in attempts and returns how long to wait before the
// next one. The next attempt time is kept in the object's status, so that a restarted
// controller waits as long as the one that failed.
func (b Backoff) Failed(attempts *v1beta1.OperationAttempts, now time.Time) time.Duration {
	attempts.Count++
	wait := b.Base
	for i := int32(1); i < attempts.Count && wait < b.Max; i++ {
		wait *= 2
	}
	if wait > b.Max {
		wait = b.Max
	}
	next := metav1.NewTime(now.Add(wait).Truncate(time.Second).Add(time.Second))
	attempts.NextAttemptTime = &next
	return next.Sub(now)
}

// Elapsed returns how long attempts failed attempts take: the sum of the waits after
// each of them.
func (b Backoff) Elapsed(attempts int32) time.Duration {
	var sum time.Duration
	wait := b.Base
	for range attempts {
		sum += min(wait, b.Max)
		if wait < b.Max {
			wait *= 2
		}
	}
	return sum
}

// Remaining returns how long to wait before the next attempt, or zero if it is due.
func Remaining(attempts v1beta1.OperationAttempts, now time.Time) time.Duration {
	if attempts.NextAttemptTime == nil {
		return 0
	}
	if d := attempts.NextAttemptTime.Sub(now); d > 0 {
		return d
	}
	return 0
}
