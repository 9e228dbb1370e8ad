package platformfeatures

import (
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/admission/internal/admissiontest"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/scopetest"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

func class(name string, requires ...string) *v1beta1.ClusterServiceClass {
	return &v1beta1.ClusterServiceClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1beta1.ClusterServiceClassSpec{CommonServiceClassSpec: v1beta1.CommonServiceClassSpec{
			ExternalName: name + "-offering", ExternalID: name + "-id", Requires: requires,
		}},
	}
}

// storedInstance is an instance the API holds, of the class named, resolved to the class
// resolved when it is not "".
func storedInstance(name, class, resolved string) *v1beta1.ServiceInstance {
	i := &v1beta1.ServiceInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: name},
		Spec: v1beta1.ServiceInstanceSpec{PlanReference: v1beta1.PlanReference{
			ClusterServiceClassExternalName: class + "-offering", ClusterServicePlanExternalName: "small",
		}},
	}
	if resolved != "" {
		i.Status.ClusterServiceClassRef = &v1beta1.ClusterObjectReference{Name: resolved}
	}
	return i
}

// brokerCatalog: "db" requires nothing the catalog lacks; "logs", "routes" and "nfs" need
// one unserved feature each; "future" needs something this version does not know; two
// classes share the external name "dup-offering". The classes and the stored instances
// are in the cluster scope, and as their namespaced twins (scopetest) in team-a, each twin
// instance called "local-" and the name of its cluster twin.
func brokerCatalog() []runtime.Object {
	dupA, dupB := class("dup-a", "syslog_drain"), class("dup-b", "syslog_drain")
	dupA.Spec.ExternalName, dupB.Spec.ExternalName = "dup-offering", "dup-offering"
	var objs []runtime.Object
	for _, obj := range []runtime.Object{
		class("db"), class("logs", "syslog_drain"), class("routes", "route_forwarding"), class("nfs", "volume_mount"),
		class("all", "volume_mount", "syslog_drain", "teleport", "syslog_drain", "route_forwarding"),
		class("future", "teleport"), dupA, dupB,
		storedInstance("db", "db", "db"), storedInstance("logs", "logs", ""), storedInstance("resolved-logs", "db", "logs"),
		storedInstance("orphan", "gone", ""), storedInstance("resolved-gone", "logs", "gone"),
	} {
		twin := scopetest.Versioned(obj)
		if i, ok := twin.(*v1beta1.ServiceInstance); ok {
			i.Name = "local-" + i.Name
		}
		objs = append(objs, obj, twin)
	}
	return objs
}

// inNamespace returns the namespaced twin of a new instance, or a binding to the twin of
// a binding's instance.
func inNamespace(obj runtime.Object) runtime.Object {
	switch o := obj.(type) {
	case *sc.ServiceInstance:
		return scopetest.Instance(o)
	case *sc.ServiceBinding:
		return binding("local-" + o.Spec.InstanceRef.Name)
	}
	return obj
}

func instance(ref sc.PlanReference) *sc.ServiceInstance {
	return &sc.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "new"}, Spec: sc.ServiceInstanceSpec{PlanReference: ref}}
}

func byExternalName(class string) sc.PlanReference {
	return sc.PlanReference{ClusterServiceClassExternalName: class + "-offering", ClusterServicePlanExternalName: "small"}
}

func binding(instance string) *sc.ServiceBinding {
	return &sc.ServiceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "creds"},
		Spec:       sc.ServiceBindingSpec{InstanceRef: sc.ServiceInstanceReference{Name: instance}},
	}
}

func TestValidateAllows(t *testing.T) {
	p := New()
	admissiontest.Initialize(t, p, true, brokerCatalog()...)
	for name, obj := range map[string]runtime.Object{
		"an instance of a class that requires nothing unserved":   instance(byExternalName("db")),
		"an instance of a class that requires an unknown feature": instance(byExternalName("future")),
		"an instance of an unknown class":                         instance(byExternalName("gone")),
		"an instance whose class name several classes have":       instance(byExternalName("dup")),
		"a binding to an instance of a class that serves":         binding("db"),
		"a binding to a missing instance":                         binding("nosuch"),
		"a binding to an instance of an unknown class":            binding("orphan"),
		"a binding to an instance whose resolved class is gone":   binding("resolved-gone"),
	} {
		for scope, obj := range map[string]runtime.Object{"cluster": obj, "namespace": inNamespace(obj)} {
			t.Run(scope+"/"+name, func(t *testing.T) {
				if err := admissiontest.Validate(p, admissiontest.Attributes(obj, nil)); err != nil {
					t.Errorf("got %v, want it allowed", err)
				}
			})
		}
	}
}

func TestValidateRefuses(t *testing.T) {
	p := New()
	admissiontest.Initialize(t, p, true, brokerCatalog()...)
	for name, tc := range map[string]struct {
		obj   runtime.Object
		field string
		says  []string
	}{
		"syslog_drain by external name": {instance(byExternalName("logs")), "spec.clusterServiceClassExternalName",
			[]string{`class "logs-offering" requires syslog_drain (streaming the application's logs`, "the service catalog does not serve"}},
		"route_forwarding by external ID": {instance(sc.PlanReference{ClusterServiceClassExternalID: "routes-id", ClusterServicePlanExternalID: "p"}),
			"spec.clusterServiceClassExternalID", []string{"requires route_forwarding (proxying"}},
		"volume_mount by name": {instance(sc.PlanReference{ClusterServiceClassName: "nfs", ClusterServicePlanName: "p"}),
			"spec.clusterServiceClassName", []string{"requires volume_mount (mounting"}},
		"every unserved feature once, unknown ones left out": {instance(byExternalName("all")), "spec.clusterServiceClassExternalName",
			[]string{"requires volume_mount (mounting the broker's volumes into the application), syslog_drain (streaming the application's logs to the broker), route_forwarding (proxying"}},
		"a binding to an instance whose spec names such a class": {binding("logs"), "spec.instanceRef.name",
			[]string{`the instance "logs" cannot be bound: class "logs-offering" requires syslog_drain`}},
		"a binding to an instance resolved to such a class": {binding("resolved-logs"), "spec.instanceRef.name",
			[]string{`the instance "resolved-logs" cannot be bound: class "logs-offering" requires syslog_drain`}},
	} {
		for scope, obj := range map[string]runtime.Object{"cluster": tc.obj, "namespace": inNamespace(tc.obj)} {
			field := tc.field
			if scope == "namespace" {
				field = scopetest.Fields.Replace(field)
			}
			t.Run(scope+"/"+name, func(t *testing.T) {
				err := admissiontest.Validate(p, admissiontest.Attributes(obj, nil))
				if !apierrors.IsInvalid(err) {
					t.Fatalf("got %v, want Invalid", err)
				}
				causes := err.(apierrors.APIStatus).Status().Details.Causes
				if len(causes) != 1 || causes[0].Field != field {
					t.Fatalf("causes %+v, want one on %s", causes, field)
				}
				for _, s := range tc.says {
					if scope == "namespace" {
						s = strings.ReplaceAll(s, `instance "`, `instance "local-`)
					}
					if !strings.Contains(causes[0].Message, s) {
						t.Errorf("message %q does not say %q", causes[0].Message, s)
					}
				}
				if strings.Contains(causes[0].Message, "teleport") {
					t.Errorf("message %q names an unknown feature", causes[0].Message)
				}
			})
		}
	}
}

func TestValidateIgnoresOtherRequests(t *testing.T) {
	p := New()
	admissiontest.Initialize(t, p, true, brokerCatalog()...)
	logs := instance(byExternalName("logs"))
	if err := admissiontest.Validate(p, admissiontest.Attributes(logs, logs.DeepCopy())); err != nil {
		t.Errorf("instance update: %v", err)
	}
	if err := admissiontest.Validate(p, admissiontest.AttributesFor(logs, nil, "status", admissiontest.User)); err != nil {
		t.Errorf("status subresource: %v", err)
	}
	b := binding("logs")
	if err := admissiontest.Validate(p, admissiontest.Attributes(b, b.DeepCopy())); err != nil {
		t.Errorf("binding update: %v", err)
	}
	broker := &sc.ClusterServiceBroker{ObjectMeta: metav1.ObjectMeta{Name: "b"}}
	if err := admissiontest.Validate(p, admissiontest.Attributes(broker, nil)); err != nil {
		t.Errorf("broker: %v", err)
	}
}

func TestNotReadyUntilSynced(t *testing.T) {
	t.Parallel()
	p := New()
	admissiontest.Initialize(t, p, false, brokerCatalog()...)
	err := admissiontest.Validate(p, admissiontest.Attributes(instance(byExternalName("logs")), nil))
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "not yet ready") {
		t.Errorf("got %v, want Forbidden: not yet ready", err)
	}
}

func TestValidateInitialization(t *testing.T) {
	if err := New().ValidateInitialization(); err == nil {
		t.Error("no error without the catalog reader")
	}
}
