package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// opBudget bounds how long one create, update or delete is retried.
const opBudget = 5 * time.Minute

// The steps of the fault windows.
const (
	stepCreate     = "create"
	stepUpdate     = "update"
	stepDeleteHalf = "delete-half"
	stepDeleteAll  = "delete-all"
)

// progress counts the acknowledged operations of a step and fires the kill
// points it passes.
type progress struct {
	mu     sync.Mutex
	done   int
	total  int
	points []killPoint
	fire   func(killPoint)
}

// ack counts one acknowledged operation.
func (p *progress) ack() {
	p.mu.Lock()
	p.done++
	var due []killPoint
	rest := p.points[:0]
	for _, kp := range p.points {
		if float64(p.done) >= kp.At*float64(p.total) {
			due = append(due, kp)
		} else {
			rest = append(rest, kp)
		}
	}
	p.points = rest
	p.mu.Unlock()
	for _, kp := range due {
		p.fire(kp)
	}
}

// forEach runs fn on every item with n workers.
func forEach[T any](ctx context.Context, n int, items []T, fn func(context.Context, T)) {
	ch := make(chan T)
	var wg sync.WaitGroup
	for range min(n, len(items)) {
		wg.Go(func() {
			for it := range ch {
				fn(ctx, it)
			}
		})
	}
	for _, it := range items {
		select {
		case ch <- it:
		case <-ctx.Done():
		}
	}
	close(ch)
	wg.Wait()
}

// retry calls fn until it succeeds, ctx is done or opBudget passes, waiting
// longer after each failure (up to 5s): the API may be down.
func retry(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, opBudget)
	defer cancel()
	delay := 200 * time.Millisecond
	for {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// createInstance creates instance o; an AlreadyExists after a failed
// attempt means the attempt got through.
func (s *soak) createInstance(ctx context.Context, o *object) error {
	api := s.e.catalog.ServicecatalogV1beta1().ServiceInstances(o.namespace)
	return retry(ctx, func(ctx context.Context) error {
		got, err := api.Create(ctx, newInstance(o, s.e.brokers[o.broker].offering), metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			got, err = api.Get(ctx, o.name, metav1.GetOptions{})
		}
		if err != nil {
			return err
		}
		o.externalID, o.created = got.Spec.ExternalID, true
		return nil
	})
}

// createBinding creates binding o of instance inst.
func (s *soak) createBinding(ctx context.Context, o, inst *object) error {
	api := s.e.catalog.ServicecatalogV1beta1().ServiceBindings(o.namespace)
	return retry(ctx, func(ctx context.Context) error {
		got, err := api.Create(ctx, newBinding(o, inst.name), metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			got, err = api.Get(ctx, o.name, metav1.GetOptions{})
		}
		if err != nil {
			return err
		}
		o.externalID, o.created = got.Spec.ExternalID, true
		return nil
	})
}

// updateInstance moves instance o to its other plan and increments the size
// parameter. A spec found already changed counts as acknowledged.
func (s *soak) updateInstance(ctx context.Context, o *object) error {
	api := s.e.catalog.ServicecatalogV1beta1().ServiceInstances(o.namespace)
	plan, size := otherPlan(o.plan), o.size+1
	return retry(ctx, func(ctx context.Context) error {
		si, err := api.Get(ctx, o.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if si.Spec.ClusterServicePlanExternalName != plan || parametersSize(si.Spec.Parameters) != size {
			si.Spec.ClusterServicePlanExternalName = plan
			si.Spec.Parameters = instanceParameters(o.index, size)
			if _, err := api.Update(ctx, si, metav1.UpdateOptions{}); err != nil {
				return err
			}
		}
		o.plan, o.size = plan, size
		return nil
	})
}

// otherPlan is the plan an update moves to.
func otherPlan(p string) string {
	if p == planSync {
		return planAsync
	}
	return planSync
}

// deleteObject deletes o; NotFound after a failed attempt means it got
// through.
func (s *soak) deleteObject(ctx context.Context, o *object) error {
	sc := s.e.catalog.ServicecatalogV1beta1()
	return retry(ctx, func(ctx context.Context) error {
		var err error
		if o.kind == kindInstance {
			err = sc.ServiceInstances(o.namespace).Delete(ctx, o.name, metav1.DeleteOptions{})
		} else {
			err = sc.ServiceBindings(o.namespace).Delete(ctx, o.name, metav1.DeleteOptions{})
		}
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		o.deleted = true
		return nil
	})
}

// runStep runs step name: its operations over the instances, with the kill
// points of the step.
func (s *soak) runStep(ctx context.Context, name string) {
	start := time.Now()
	insts, per, op := s.stepPlan(name)
	p := &progress{total: per * len(insts), fire: func(kp killPoint) { s.monkey.fire(ctx, kp) }}
	for _, kp := range s.kills {
		if kp.Step == name {
			p.points = append(p.points, kp)
		}
	}
	forEach(ctx, s.opts.concurrency, insts, func(ctx context.Context, inst *object) { op(ctx, inst, p) })
	s.logf("step %s: %d operations acknowledged in %s", name, p.done, time.Since(start).Round(time.Millisecond))
	s.rep.addStep(name, p.done, p.total, time.Since(start))
}

// stepPlan returns the instances step name works on, the operations per
// instance, and the operation.
func (s *soak) stepPlan(name string) ([]*object, int, func(context.Context, *object, *progress)) {
	var insts []*object
	for _, inst := range s.ledger.instances {
		switch {
		case name == stepCreate,
			name == stepUpdate && inst.created && !inst.deleted,
			name == stepDeleteHalf && inst.index%2 == 1,
			name == stepDeleteAll && !inst.deleted:
			insts = append(insts, inst)
		}
	}
	switch name {
	case stepCreate:
		return insts, 2, s.createPair
	case stepUpdate:
		return insts, 1, func(ctx context.Context, inst *object, p *progress) {
			s.do(ctx, "update", inst, p, func(ctx context.Context) error { return s.updateInstance(ctx, inst) })
		}
	}
	return insts, 2, s.deletePair
}

// createPair creates an instance, then its binding if it has one.
func (s *soak) createPair(ctx context.Context, inst *object, p *progress) {
	s.do(ctx, "create", inst, p, func(ctx context.Context) error { return s.createInstance(ctx, inst) })
	if b := s.ledger.bindingOf[inst.index]; b != nil {
		s.do(ctx, "create", b, p, func(ctx context.Context) error { return s.createBinding(ctx, b, inst) })
	} else {
		p.ack()
	}
}

// deletePair deletes an instance's binding, if any, then the instance,
// without waiting in between.
func (s *soak) deletePair(ctx context.Context, inst *object, p *progress) {
	if b := s.ledger.bindingOf[inst.index]; b != nil && !b.deleted {
		s.do(ctx, "delete", b, p, func(ctx context.Context) error { return s.deleteObject(ctx, b) })
	} else {
		p.ack()
	}
	s.do(ctx, "delete", inst, p, func(ctx context.Context) error { return s.deleteObject(ctx, inst) })
}

// do runs one operation on o and counts it; an operation never
// acknowledged is recorded on o and in the report.
func (s *soak) do(ctx context.Context, verb string, o *object, p *progress, fn func(context.Context) error) {
	if err := fn(ctx); err != nil {
		o.failed = fmt.Sprintf("%s never acknowledged: %v", verb, err)
		s.rep.addError(fmt.Sprintf("%s %s: %s", o.kind, o.key(), o.failed))
		return
	}
	p.ack()
}
