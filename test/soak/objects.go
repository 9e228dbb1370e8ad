package main

import (
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// kind is the kind of a soak object.
type kind string

// The kinds of soak objects.
const (
	kindInstance kind = "instance"
	kindBinding  kind = "binding"
)

// object is one instance or binding of the soak, and what the API
// acknowledged about it. A step's worker is the only one to touch it while
// the step runs; checks read it between steps.
type object struct {
	kind      kind
	index     int
	namespace string
	name      string
	broker    int
	// plan and size are the instance's spec as last acknowledged.
	plan string
	size int
	// externalID is the id the broker knows it by, from the API.
	externalID string
	// created and deleted are set once the API acknowledged them.
	created, deleted bool
	// failed says why a create, update or delete was never acknowledged.
	failed string
}

// key is namespace/name.
func (o *object) key() string { return o.namespace + "/" + o.name }

// ledger is every object of the soak.
type ledger struct {
	namespaces []string
	instances  []*object
	bindings   []*object
	// bindingOf is the binding of instance i, if it has one.
	bindingOf map[int]*object
}

// newLedger lays the objects out: instance i in namespace i mod
// -namespaces, of broker (i / namespaces) mod -brokers, on the sync plan if
// i is even and the async plan if odd; binding i binds instance i.
func newLedger(o *options) *ledger {
	l := &ledger{bindingOf: map[int]*object{}}
	for n := range o.namespaces {
		l.namespaces = append(l.namespaces, fmt.Sprintf("soak-%02d", n))
	}
	for i := range o.instances {
		inst := &object{
			kind: kindInstance, index: i, namespace: l.namespaces[i%o.namespaces], name: fmt.Sprintf("si-%05d", i),
			broker: (i / o.namespaces) % o.brokers, plan: []string{planSync, planAsync}[i%2], size: 1,
		}
		l.instances = append(l.instances, inst)
		if i < o.bindings {
			b := &object{kind: kindBinding, index: i, namespace: inst.namespace, name: fmt.Sprintf("sb-%05d", i), broker: inst.broker}
			l.bindings = append(l.bindings, b)
			l.bindingOf[i] = b
		}
	}
	return l
}

// all returns the instances, then the bindings.
func (l *ledger) all() []*object {
	return append(append([]*object{}, l.instances...), l.bindings...)
}

// names maps every external id the API gave to namespace/name of its object.
func (l *ledger) names() map[string]string {
	out := map[string]string{}
	for _, o := range l.all() {
		if o.externalID != "" {
			out[o.externalID] = o.kind.String() + " " + o.key()
		}
	}
	return out
}

// String is the kind's name.
func (k kind) String() string { return string(k) }

// instanceParameters are an instance's inline parameters.
func instanceParameters(index, size int) *runtime.RawExtension {
	raw, _ := json.Marshal(map[string]any{"index": index, "size": size})
	return &runtime.RawExtension{Raw: raw}
}

// parametersSize reads "size" from inline parameters, or -1.
func parametersSize(p *runtime.RawExtension) int {
	var v struct {
		Size *int `json:"size"`
	}
	if p == nil || json.Unmarshal(p.Raw, &v) != nil || v.Size == nil {
		return -1
	}
	return *v.Size
}

// newInstance is instance o as a user writes it: class and plan by external
// name, inline parameters and parameters from the namespace's Secret.
func newInstance(o *object, offering string) *v1beta1.ServiceInstance {
	return &v1beta1.ServiceInstance{
		ObjectMeta: metav1.ObjectMeta{Name: o.name, Namespace: o.namespace},
		Spec: v1beta1.ServiceInstanceSpec{
			PlanReference:  v1beta1.PlanReference{ClusterServiceClassExternalName: offering, ClusterServicePlanExternalName: o.plan},
			Parameters:     instanceParameters(o.index, o.size),
			ParametersFrom: []v1beta1.ParametersFromSource{{SecretKeyRef: &v1beta1.SecretKeyReference{Name: paramsSecret, Key: instanceParamsKey}}},
		},
	}
}

// newBinding is binding o of instance, with parameters from the namespace's
// Secret.
func newBinding(o *object, instance string) *v1beta1.ServiceBinding {
	return &v1beta1.ServiceBinding{
		ObjectMeta: metav1.ObjectMeta{Name: o.name, Namespace: o.namespace},
		Spec: v1beta1.ServiceBindingSpec{
			InstanceRef:    v1beta1.ServiceInstanceReference{Name: instance},
			ParametersFrom: []v1beta1.ParametersFromSource{{SecretKeyRef: &v1beta1.SecretKeyReference{Name: paramsSecret, Key: bindingParamsKey}}},
		},
	}
}
