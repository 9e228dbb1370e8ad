// Package await waits for a catalog object to reach a state (Ready, Failed, gone) by
// asking the API server again and again until a deadline, and reports on the way what
// holds it up.
package await

import (
	"context"
	"errors"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/cli/readiness"
)

// Object is what a wait looks at in an object, read afresh each time.
type Object struct {
	// Conditions are the object's conditions.
	Conditions []metav1.Condition
	// Acted tells whether the controller has acted on all that was asked of it (such as
	// the object's generation) and has no broker operation in progress.
	Acted bool
}

// Get reads the object.
type Get func(ctx context.Context) (*Object, error)

// Options say how often to look and for how long.
type Options struct {
	// Interval is the time between two looks.
	Interval time.Duration
	// Timeout bounds the wait.
	Timeout time.Duration
	// Progress is told each new thing that holds the object up: a condition's reason
	// and message.
	Progress func(string)
}

// ErrFailed is the error of a wait for an object that failed: the controller stopped
// trying.
var ErrFailed = errors.New("failed")

// UntilReady waits until the object is Ready, the controller having acted on all that
// was asked of it, and returns its readiness. An object that Failed ends the wait with
// an error wrapping ErrFailed and carrying the condition's message.
func UntilReady(ctx context.Context, opts Options, get Get) (readiness.Readiness, error) {
	var last readiness.Readiness
	r := &reporter{progress: opts.Progress}
	err := r.poll(ctx, opts, func(ctx context.Context) (bool, error) {
		o, err := get(ctx)
		if err != nil {
			return false, err
		}
		last = readiness.Of(o.Conditions)
		switch {
		case last.State == readiness.Failed:
			return false, fmt.Errorf("%w: %s: %s", ErrFailed, last.Condition.Reason, last.Condition.Message)
		case last.State == readiness.Ready && o.Acted:
			return true, nil
		}
		r.report(last.Condition)
		return false, nil
	})
	return last, err
}

// UntilGone waits until the object is gone, reporting on the way why it is held up: a
// DeleteBlocked condition, or its Ready condition.
func UntilGone(ctx context.Context, opts Options, get Get) error {
	r := &reporter{progress: opts.Progress}
	return r.poll(ctx, opts, func(ctx context.Context) (bool, error) {
		o, err := get(ctx)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if blocked := meta.FindStatusCondition(o.Conditions, v1beta1.ConditionDeleteBlocked); blocked != nil && blocked.Status == metav1.ConditionTrue {
			r.report(blocked)
		} else {
			r.report(readiness.Of(o.Conditions).Condition)
		}
		return false, nil
	})
}

// reporter tells Progress what holds an object up, once per new reason and message,
// and remembers the last for a timeout's error.
type reporter struct {
	progress func(string)
	last     string
}

func (r *reporter) report(c *metav1.Condition) {
	if c == nil {
		return
	}
	line := fmt.Sprintf("%s: %s", c.Reason, c.Message)
	if line == r.last {
		return
	}
	r.last = line
	if r.progress != nil {
		r.progress(line)
	}
}

// poll calls check every interval until it is done or fails, or the timeout passes. A
// check that the deadline cuts short fails with an error of its own (a client's rate
// limiter "would exceed context deadline"): that is the timeout too, and said as such.
func (r *reporter) poll(ctx context.Context, opts Options, check wait.ConditionWithContextFunc) error {
	pollCtx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	err := wait.PollUntilContextCancel(pollCtx, opts.Interval, true, check)
	if err != nil && pollCtx.Err() != nil && ctx.Err() == nil {
		if r.last != "" {
			return fmt.Errorf("timed out after %s; last: %s", opts.Timeout, r.last)
		}
		return fmt.Errorf("timed out after %s", opts.Timeout)
	}
	return err
}
