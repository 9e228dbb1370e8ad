// Package tree draws what the catalog holds as a tree: each broker, its classes, their
// plans, the instances of each plan, their bindings and the Secrets the bindings write,
// with the state of each.
package tree

import (
	"context"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/cli/clients"
	"github.com/kube-service-catalog/catalog/pkg/cli/offerings"
	"github.com/kube-service-catalog/catalog/pkg/cli/readiness"
	"github.com/kube-service-catalog/catalog/pkg/cli/secrets"
)

// planKey identifies a plan of any scope.
type planKey struct {
	scope     offerings.Scope
	namespace string
	name      string
}

// builder holds what the tree is built from.
type builder struct {
	set *clients.Set
	// allNamespaces tells whether instances and bindings of every namespace are shown,
	// named namespace/name.
	allNamespaces bool
	byPlan        map[planKey][]*v1beta1.ServiceInstance
	byInstance    map[types.NamespacedName][]*v1beta1.ServiceBinding
	placed        map[types.NamespacedName]bool
}

// Build reads sources and the instances and bindings of namespace ("" for every
// namespace), and returns the trees, one per broker, and what could not be read.
func Build(ctx context.Context, set *clients.Set, sources []offerings.Source, namespace string) ([]*Node, []string, error) {
	b := &builder{set: set, allNamespaces: namespace == "", byPlan: map[planKey][]*v1beta1.ServiceInstance{},
		byInstance: map[types.NamespacedName][]*v1beta1.ServiceBinding{}, placed: map[types.NamespacedName]bool{}}
	instances, err := b.read(ctx, sources, namespace)
	if err != nil {
		return nil, nil, err
	}
	var roots []*Node
	var notes []string
	for _, s := range sources {
		c, err := s.Read(ctx, namespace)
		if err != nil {
			return nil, nil, err
		}
		roots = append(roots, b.brokers(ctx, c)...)
		notes = append(notes, c.Notes...)
	}
	roots = append(roots, b.leftovers(ctx, instances)...)
	return roots, notes, nil
}

// read lists the instances and bindings and files them by plan and by instance.
func (b *builder) read(ctx context.Context, sources []offerings.Source, namespace string) ([]v1beta1.ServiceInstance, error) {
	client := b.set.Catalog.ServicecatalogV1beta1()
	instances, err := client.ServiceInstances(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	bindings, err := client.ServiceBindings(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for i := range instances.Items {
		in := &instances.Items[i]
		for _, s := range sources {
			if r, ok := s.Resolved(in); ok && r.Plan != "" {
				key := planKey{s.Scope(), r.Namespace, r.Plan}
				b.byPlan[key] = append(b.byPlan[key], in)
				break
			}
		}
	}
	for i := range bindings.Items {
		sb := &bindings.Items[i]
		key := types.NamespacedName{Namespace: sb.InstanceNamespace(), Name: sb.Spec.InstanceRef.Name}
		b.byInstance[key] = append(b.byInstance[key], sb)
	}
	return instances.Items, nil
}

// brokers returns a tree per broker of c: those listed, and those its classes name
// when the brokers cannot be read.
func (b *builder) brokers(ctx context.Context, c *offerings.Catalog) []*Node {
	type brokerKey struct{ namespace, name string }
	var keys []brokerKey
	for _, br := range c.Brokers {
		keys = append(keys, brokerKey{br.Namespace, br.Name})
	}
	for _, cl := range c.Classes {
		if k := (brokerKey{cl.Namespace, cl.BrokerName}); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y brokerKey) int { return cmpStrings(x.namespace+"/"+x.name, y.namespace+"/"+y.name) })
	kind, _, _ := c.Source.Kinds()
	var roots []*Node
	for _, k := range keys {
		status := "<unknown>"
		if br := c.Broker(k.namespace, k.name); br != nil {
			status = readiness.Word(br.Conditions, br.Deleting)
		}
		root := &Node{Label: fmt.Sprintf("%s %s (%s)", kind.Kind, qualified(k.namespace, k.name), status)}
		for i := range c.Classes {
			if cl := &c.Classes[i]; cl.Namespace == k.namespace && cl.BrokerName == k.name {
				b.class(ctx, root, c, cl)
			}
		}
		roots = append(roots, root)
	}
	return roots
}

// class adds class cl, its plans and what uses them under parent.
func (b *builder) class(ctx context.Context, parent *Node, c *offerings.Catalog, cl *offerings.Class) {
	node := parent.add("class " + cl.ExternalName + removedMark(cl.Removed))
	for _, p := range c.PlansOf(cl) {
		price := map[bool]string{true: "free", false: "paid"}[p.Free]
		plan := node.add(fmt.Sprintf("plan %s (%s)%s", p.ExternalName, price, removedMark(p.Removed)))
		for _, i := range b.byPlan[planKey{c.Source.Scope(), p.Namespace, p.Name}] {
			b.instance(ctx, plan, i)
		}
	}
}

// instance adds instance i, its bindings and their Secrets under parent.
func (b *builder) instance(ctx context.Context, parent *Node, i *v1beta1.ServiceInstance) {
	key := types.NamespacedName{Namespace: i.Namespace, Name: i.Name}
	b.placed[key] = true
	node := parent.add(fmt.Sprintf("instance %s (%s)", b.name(i.Namespace, i.Name), readiness.Word(i.Status.Conditions, i.DeletionTimestamp != nil)))
	for _, sb := range b.byInstance[key] {
		b.binding(ctx, node, sb)
	}
	delete(b.byInstance, key)
}

// binding adds binding sb and its Secret under parent.
func (b *builder) binding(ctx context.Context, parent *Node, sb *v1beta1.ServiceBinding) {
	name := sb.Name
	if b.allNamespaces || sb.SharesInstance() {
		name = sb.Namespace + "/" + sb.Name
	}
	node := parent.add(fmt.Sprintf("binding %s (%s)", name, readiness.Word(sb.Status.Conditions, sb.DeletionTimestamp != nil)))
	node.add(fmt.Sprintf("secret %s (%s)", secrets.Name(sb), b.secret(ctx, sb)))
}

// leftovers returns trees of the instances no plan of any source holds and of the
// bindings of instances not listed.
func (b *builder) leftovers(ctx context.Context, instances []v1beta1.ServiceInstance) []*Node {
	var roots []*Node
	unresolved := &Node{Label: "Instances not resolved to a plan"}
	for i := range instances {
		if in := &instances[i]; !b.placed[types.NamespacedName{Namespace: in.Namespace, Name: in.Name}] {
			b.instance(ctx, unresolved, in)
		}
	}
	if len(unresolved.Children) > 0 {
		roots = append(roots, unresolved)
	}
	elsewhere := &Node{Label: "Bindings of instances not shown"}
	keys := make([]types.NamespacedName, 0, len(b.byInstance))
	for k := range b.byInstance {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y types.NamespacedName) int { return cmpStrings(x.String(), y.String()) })
	for _, k := range keys {
		node := elsewhere.add("instance " + k.String())
		for _, sb := range b.byInstance[k] {
			b.binding(ctx, node, sb)
		}
	}
	if len(elsewhere.Children) > 0 {
		roots = append(roots, elsewhere)
	}
	return roots
}
