package broker

import (
	"fmt"
	"maps"
	"strings"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// PlanBehavior is one entry of GET /admin/behaviors.
type PlanBehavior struct {
	// Offering is the offering name.
	Offering string `json:"offering"`
	// Plan is the plan name.
	Plan string `json:"plan"`
	// PlanID is the plan id.
	PlanID string `json:"planID"`
	// Override is true when the behaviour was set at run time.
	Override bool `json:"override"`
	// Behavior is the behaviour in effect.
	Behavior Behavior `json:"behavior"`
}

// SetBehavior overrides the behaviour of a plan, given by id, by name if the
// name is unique in the catalog, or as "offering/plan". It restarts the
// plan's fault counters.
func (b *Broker) SetBehavior(plan string, bh Behavior) error {
	if err := bh.Validate(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	id, err := b.resolvePlanLocked(plan)
	if err != nil {
		return err
	}
	b.overrides[id] = bh
	b.resetFaultsLocked(id)
	return nil
}

// ResetBehavior removes a plan's override, so the catalog's knobs apply again.
func (b *Broker) ResetBehavior(plan string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, err := b.resolvePlanLocked(plan)
	if err != nil {
		return err
	}
	delete(b.overrides, id)
	b.resetFaultsLocked(id)
	return nil
}

// Behavior returns the behaviour in effect for a plan and whether it comes
// from a runtime override.
func (b *Broker) Behavior(plan string) (Behavior, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, err := b.resolvePlanLocked(plan)
	if err != nil {
		return Behavior{}, false, err
	}
	if o, ok := b.overrides[id]; ok {
		return o, true, nil
	}
	return b.catalog.Behaviors[id], false, nil
}

// Behaviors lists the behaviour in effect for every plan, in catalog order.
func (b *Broker) Behaviors() []PlanBehavior {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []PlanBehavior
	for i := range b.catalog.Services {
		s := &b.catalog.Services[i]
		for j := range s.Plans {
			p := &s.Plans[j]
			pb := PlanBehavior{Offering: s.Name, Plan: p.Name, PlanID: p.ID}
			pb.Behavior, _ = b.behaviorLocked(p.ID)
			_, pb.Override = b.overrides[p.ID]
			out = append(out, pb)
		}
	}
	return out
}

// resolvePlanLocked finds a plan id from an id, a unique name or "offering/plan".
func (b *Broker) resolvePlanLocked(plan string) (string, error) {
	if _, ok := b.plans[plan]; ok {
		return plan, nil
	}
	svcName, planName, qualified := strings.Cut(plan, "/")
	var found []string
	for id, ref := range b.plans {
		if qualified && ref.service.Name == svcName && ref.plan.Name == planName ||
			!qualified && ref.plan.Name == plan {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("no plan %q in the catalog", plan)
	}
	return "", fmt.Errorf("plan name %q is ambiguous; use its id or offering/plan", plan)
}

// behaviorLocked returns a plan's behaviour (override or catalog).
func (b *Broker) behaviorLocked(planID string) (Behavior, bool) {
	if o, ok := b.overrides[planID]; ok {
		return o, true
	}
	bh, ok := b.catalog.Behaviors[planID]
	return bh, ok
}

// opBehaviorLocked returns the behaviour of op on a plan.
func (b *Broker) opBehaviorLocked(planID string, op osb.Operation) OpBehavior {
	bh, _ := b.behaviorLocked(planID)
	return bh.For(op)
}

// takeFault returns the fault to inject into this request of op on a plan,
// or nil; see takeFaultLocked.
func (b *Broker) takeFault(planID string, op osb.Operation) *OpBehavior {
	b.mu.Lock()
	defer b.mu.Unlock()
	ob := b.opBehaviorLocked(planID, op)
	return b.takeFaultLocked(planID, op, &ob)
}

// takeFaultLocked returns the operation's behaviour when a fault is to be
// injected into this request, consuming one of FailTimes, and nil otherwise.
func (b *Broker) takeFaultLocked(planID string, op osb.Operation, ob *OpBehavior) *OpBehavior {
	if !ob.hasFault() {
		return nil
	}
	if ob.FailTimes > 0 {
		key := faultKey(planID, op)
		if b.faults[key] >= ob.FailTimes {
			return nil
		}
		b.faults[key]++
	}
	return ob
}

// faultKey counts the faults of one operation on one plan.
func faultKey(planID string, op osb.Operation) string { return planID + "\x00" + string(op) }

func (b *Broker) resetFaultsLocked(planID string) {
	maps.DeleteFunc(b.faults, func(k string, _ int) bool { return strings.HasPrefix(k, planID+"\x00") })
}
