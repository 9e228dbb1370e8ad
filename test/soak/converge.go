package main

import (
	"context"
	"fmt"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

// state is where an object stands for the checks.
type state string

// The states of an object.
const (
	// stateReady: Ready for its current generation.
	stateReady state = "Ready"
	// stateFailed: Failed with a reason for its current generation, a
	// terminal state.
	stateFailed state = "Failed"
	// stateGone: deleted, and gone.
	stateGone state = "gone"
	// statePending: none of the above yet.
	statePending state = "pending"
	// stateLost: acknowledged by the API, not deleted, and missing.
	stateLost state = "lost"
	// stateUnacknowledged: its create was never acknowledged, and it does not exist.
	stateUnacknowledged state = "unacknowledged"
)

// view is one listing of the catalog's instances and bindings, by
// namespace/name.
type view struct {
	instances map[string]*v1beta1.ServiceInstance
	bindings  map[string]*v1beta1.ServiceBinding
}

// list lists every instance and binding.
func (s *soak) list(ctx context.Context) (*view, error) {
	sc := s.e.catalog.ServicecatalogV1beta1()
	insts, err := sc.ServiceInstances(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	binds, err := sc.ServiceBindings(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	v := &view{instances: map[string]*v1beta1.ServiceInstance{}, bindings: map[string]*v1beta1.ServiceBinding{}}
	for i := range insts.Items {
		si := &insts.Items[i]
		v.instances[si.Namespace+"/"+si.Name] = si
	}
	for i := range binds.Items {
		sb := &binds.Items[i]
		v.bindings[sb.Namespace+"/"+sb.Name] = sb
	}
	return v, nil
}

// meta returns o's object in v, if it exists: its metadata and conditions.
func (v *view) meta(o *object) (*metav1.ObjectMeta, []metav1.Condition, bool) {
	if o.kind == kindInstance {
		if si := v.instances[o.key()]; si != nil {
			return &si.ObjectMeta, si.Status.Conditions, true
		}
		return nil, nil, false
	}
	if sb := v.bindings[o.key()]; sb != nil {
		return &sb.ObjectMeta, sb.Status.Conditions, true
	}
	return nil, nil, false
}

// classify says where o stands in v, and why when it is pending.
func classify(o *object, v *view) (state, string) {
	m, conds, exists := v.meta(o)
	switch {
	case o.deleted && !exists:
		return stateGone, ""
	case o.deleted:
		return statePending, "still exists after its delete: " + readyReason(conds)
	case !exists && o.created:
		return stateLost, "acknowledged by the API, never deleted, and missing"
	case !exists:
		return stateUnacknowledged, o.failed
	}
	ready := meta.FindStatusCondition(conds, v1beta1.ConditionReady)
	if ready != nil && ready.Status == metav1.ConditionTrue && ready.ObservedGeneration == m.Generation {
		return stateReady, ""
	}
	if reason, ok := terminal(conds, m.Generation); ok {
		return stateFailed, reason
	}
	if o.kind == kindBinding && waitsForFailedInstance(v.bindings[o.key()], v) {
		return stateFailed, "ErrorInstanceNotReady (its instance is Failed)"
	}
	return statePending, readyReason(conds)
}

// terminal returns the reason of a Failed condition that is True for
// generation gen.
func terminal(conds []metav1.Condition, gen int64) (string, bool) {
	failed := meta.FindStatusCondition(conds, v1beta1.ConditionFailed)
	if failed != nil && failed.Status == metav1.ConditionTrue && failed.Reason != "" && failed.ObservedGeneration == gen {
		return failed.Reason, true
	}
	return "", false
}

// waitsForFailedInstance reports a binding that waits, as it should, for an
// instance that failed for good: its state cannot change until someone
// changes the instance's spec, so it counts as terminal too.
func waitsForFailedInstance(sb *v1beta1.ServiceBinding, v *view) bool {
	ready := meta.FindStatusCondition(sb.Status.Conditions, v1beta1.ConditionReady)
	if ready == nil || ready.Reason != conditions.ErrorInstanceNotReady || ready.ObservedGeneration != sb.Generation {
		return false
	}
	si := v.instances[sb.Namespace+"/"+sb.Spec.InstanceRef.Name]
	if si == nil {
		return false
	}
	_, failed := terminal(si.Status.Conditions, si.Generation)
	return failed
}

// readyReason describes the Ready condition.
func readyReason(conds []metav1.Condition) string {
	c := meta.FindStatusCondition(conds, v1beta1.ConditionReady)
	if c == nil {
		return "no Ready condition"
	}
	return fmt.Sprintf("Ready=%s %s (generation %d): %s", c.Status, c.Reason, c.ObservedGeneration, c.Message)
}

// lostUpdate says how instance o's spec in v differs from its last
// acknowledged update, or "".
func lostUpdate(o *object, v *view) string {
	si := v.instances[o.key()]
	if o.kind != kindInstance || si == nil || o.deleted {
		return ""
	}
	plan, size := si.Spec.ClusterServicePlanExternalName, parametersSize(si.Spec.Parameters)
	if plan == o.plan && size == o.size {
		return ""
	}
	return fmt.Sprintf("spec has plan %s and size %d; the API acknowledged plan %s and size %d", plan, size, o.plan, o.size)
}

// tally counts the objects by state.
type tally struct {
	Objects        int            `json:"objects"`
	ByState        map[state]int  `json:"byState"`
	PendingReasons map[string]int `json:"pendingReasons,omitempty"`
	FailedReasons  map[string]int `json:"failedReasons,omitempty"`
}

// count tallies objs in v.
func count(objs []*object, v *view) tally {
	t := tally{Objects: len(objs), ByState: map[state]int{}, PendingReasons: map[string]int{}, FailedReasons: map[string]int{}}
	for _, o := range objs {
		st, why := classify(o, v)
		t.ByState[st]++
		switch st {
		case statePending:
			t.PendingReasons[o.kind.String()+": "+shortReason(why)]++
		case stateFailed:
			t.FailedReasons[o.kind.String()+": "+why]++
		}
	}
	return t
}

// shortReason keeps the reason of a pending description, not its message.
func shortReason(why string) string {
	for i := range len(why) {
		if why[i] == ':' {
			return why[:i]
		}
	}
	return why
}

// waitConverged lists the catalog until no object is pending or timeout
// passes, and returns the last listing. It logs the tally every 15 seconds.
func (s *soak) waitConverged(ctx context.Context, label string, timeout time.Duration) (*view, error) {
	deadline := time.Now().Add(timeout)
	var v *view
	var lastErr error
	lastLog := time.Time{}
	for {
		nv, err := s.list(ctx)
		if err == nil {
			v = nv
			t := count(s.ledger.all(), v)
			if t.ByState[statePending] == 0 {
				s.logf("%s: converged: %v", label, t.ByState)
				return v, nil
			}
			if time.Since(lastLog) > 15*time.Second {
				s.logf("%s: %v; pending: %v", label, t.ByState, topReasons(t.PendingReasons, 3))
				lastLog = time.Now()
			}
		} else {
			lastErr = err
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(2 * time.Second)
	}
	if v == nil {
		return nil, fmt.Errorf("%s: the catalog could not be listed: %w", label, lastErr)
	}
	s.logf("%s: not converged after %s", label, timeout)
	return v, nil
}

// topReasons returns the n most frequent reasons.
func topReasons(m map[string]int, n int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	var out []string
	for _, k := range keys[:min(n, len(keys))] {
		out = append(out, fmt.Sprintf("%d× %s", m[k], k))
	}
	return out
}
