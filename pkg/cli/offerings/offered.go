package offerings

import (
	"context"
	"fmt"
	"strings"
)

// Offered reads every source and keeps what a user of namespace may provision: classes
// and plans their broker still offers, of brokers that offer them in namespace.
func Offered(ctx context.Context, sources []Source, namespace string) ([]*Catalog, error) {
	var catalogs []*Catalog
	for _, s := range sources {
		c, err := s.Read(ctx, namespace)
		if err != nil {
			return nil, err
		}
		notOffered, err := s.NotOffered(ctx, c, namespace)
		if err != nil {
			return nil, err
		}
		c.Classes = keep(c.Classes, func(cl Class) bool { return !cl.Removed && notOffered[cl.BrokerName] == "" })
		c.Plans = keep(c.Plans, func(p Plan) bool {
			return !p.Removed && notOffered[p.BrokerName] == "" && c.Class(p.Namespace, p.ClassName) != nil
		})
		catalogs = append(catalogs, c)
	}
	return catalogs, nil
}

// keep returns the items for which ok is true.
func keep[T any](items []T, ok func(T) bool) []T {
	var kept []T
	for _, item := range items {
		if ok(item) {
			kept = append(kept, item)
		}
	}
	return kept
}

// Choice is the class and plan a user chose by external name, and the scope they are of.
type Choice struct {
	// Source is the scope of the class.
	Source Source
	// Class is the class.
	Class Class
	// Plan is the plan; nil when the user named none, for the API server to choose the
	// class's only plan.
	Plan *Plan
}

// Find looks for the class of external name class that namespace is offered, in the
// order of sources: the first scope that has one wins. When plan is set, the class must
// have a plan of that external name.
func Find(ctx context.Context, sources []Source, namespace, class, plan string) (*Choice, error) {
	catalogs, err := Offered(ctx, sources, namespace)
	if err != nil {
		return nil, err
	}
	for _, c := range catalogs {
		for _, cl := range c.Classes {
			if cl.ExternalName == class {
				return choose(c, cl, plan)
			}
		}
	}
	return nil, fmt.Errorf("no class %q is offered in namespace %s: kubectl catalog marketplace -n %s lists the classes and plans", class, namespace, namespace)
}

// choose returns class and its plan of external name plan.
func choose(c *Catalog, class Class, plan string) (*Choice, error) {
	choice := &Choice{Source: c.Source, Class: class}
	if plan == "" {
		return choice, nil
	}
	var names []string
	for _, p := range c.PlansOf(&class) {
		if p.ExternalName == plan {
			choice.Plan = &p
			return choice, nil
		}
		names = append(names, p.ExternalName)
	}
	return nil, fmt.Errorf("class %q has no plan %q: its plans are %s", class.ExternalName, plan, strings.Join(names, ", "))
}
