package validation

import (
	"net/url"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/fuzzer"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// validators are the validation functions of one kind, on internal objects.
type validators struct {
	create       func(runtime.Object) field.ErrorList
	update       func(obj, old runtime.Object) field.ErrorList
	statusUpdate func(obj, old runtime.Object) field.ErrorList
}

// validatorsOf returns the validators of kind T.
func validatorsOf[T runtime.Object](create func(T) field.ErrorList, update, statusUpdate func(obj, old T) field.ErrorList) validators {
	return validators{
		create:       func(o runtime.Object) field.ErrorList { return create(o.(T)) },
		update:       func(o, old runtime.Object) field.ErrorList { return update(o.(T), old.(T)) },
		statusUpdate: func(o, old runtime.Object) field.ErrorList { return statusUpdate(o.(T), old.(T)) },
	}
}

// kindValidators are the validators of every kind, by kind.
var kindValidators = map[string]validators{
	"ClusterServiceBroker": validatorsOf(ValidateClusterServiceBroker, ValidateClusterServiceBrokerUpdate, ValidateClusterServiceBrokerStatusUpdate),
	"ClusterServiceClass":  validatorsOf(ValidateClusterServiceClass, ValidateClusterServiceClassUpdate, ValidateClusterServiceClassStatusUpdate),
	"ClusterServicePlan":   validatorsOf(ValidateClusterServicePlan, ValidateClusterServicePlanUpdate, ValidateClusterServicePlanStatusUpdate),
	"ServiceBroker":        validatorsOf(ValidateServiceBroker, ValidateServiceBrokerUpdate, ValidateServiceBrokerStatusUpdate),
	"ServiceClass":         validatorsOf(ValidateServiceClass, ValidateServiceClassUpdate, ValidateServiceClassStatusUpdate),
	"ServicePlan":          validatorsOf(ValidateServicePlan, ValidateServicePlanUpdate, ValidateServicePlanStatusUpdate),
	"ServiceInstance":      validatorsOf(ValidateServiceInstance, ValidateServiceInstanceUpdate, ValidateServiceInstanceStatusUpdate),
	"ServiceBinding":       validatorsOf(ValidateServiceBinding, ValidateServiceBindingUpdate, ValidateServiceBindingStatusUpdate),
}

// fuzzKinds orders the kinds for the fuzz target's kind selector.
var fuzzKinds = []string{"ClusterServiceBroker", "ClusterServiceClass", "ClusterServicePlan", "ServiceInstance", "ServiceBinding",
	"ServiceBroker", "ServiceClass", "ServicePlan"}

// validationSeeds are documents of every kind, valid ones first: the fuzzer mutates them
// into the neighbouring invalid ones.
var validationSeeds = []struct {
	kind string
	doc  string
}{
	{"ClusterServiceBroker", `{"metadata":{"name":"b"},"spec":{"url":"https://broker.example.com/osb","relistBehavior":"Duration","relistDuration":"15m0s",
		"authInfo":{"basic":{"secretRef":{"namespace":"ns","name":"creds"}}},"osbAPIVersion":"2.17",
		"catalogRestrictions":{"serviceClass":["spec.externalName in (a,b)"],"servicePlan":["spec.free=true"]}}}`},
	{"ClusterServiceBroker", `{"metadata":{"name":"b"},"spec":{"url":"http://user:hunter2-password@broker.example.com?q=1#f","relistBehavior":"Manual","relistDuration":"-1s",
		"caBundle":"bm90IGEgY2VydA==","insecureSkipTLSVerify":true,"authInfo":{"basic":{},"bearer":{"secretRef":{"name":"Bad_Name"}}},
		"catalogRestrictions":{"serviceClass":["spec.nope=1","!!"]},"relistRequests":-1}}`},
	{"ClusterServiceClass", `{"metadata":{"name":"c","labels":{"a":"b"}},"spec":{"clusterServiceBrokerName":"b","externalName":"postgresql",
		"externalID":"3f2d7c1e-8a4b","description":"d","bindable":true,"externalMetadata":{"displayName":"PostgreSQL"},"tags":["sql"]}}`},
	{"ClusterServiceClass", `{"metadata":{"name":"-"},"spec":{"clusterServiceBrokerName":"","externalMetadata":[1]}}`},
	{"ClusterServicePlan", `{"metadata":{"name":"p"},"spec":{"clusterServiceBrokerName":"b","clusterServiceClassRef":{"name":"c"},"externalName":"small",
		"externalID":"p-1","free":true,"maintenanceInfo":{"version":"1.0.0"},"maximumPollingDuration":"1h0m0s",
		"instanceCreateParameterSchema":{"type":"object","properties":{"storageGB":{"type":"integer"}}},"instanceUpdateParameterSchema":{},
		"serviceBindingCreateParameterSchema":{"type":"object"}}}`},
	{"ClusterServicePlan", `{"metadata":{"name":"p"},"spec":{"maintenanceInfo":{},"maximumPollingDuration":"0s","instanceCreateParameterSchema":"x"}}`},
	{"ServiceInstance", `{"metadata":{"name":"db","namespace":"ns","finalizers":["servicecatalog.k8s.io"]},"spec":{"clusterServiceClassExternalName":"postgresql",
		"clusterServicePlanExternalName":"small","externalID":"9a1c","parameters":{"storageGB":20,"password":"hunter2-password"},
		"parametersFrom":[{"secretKeyRef":{"name":"db-params","key":"params"}}],"updateRequests":1,"maintenanceInfoVersion":"1.0.0"},
		"status":{"currentOperation":"Provision","asyncOpInProgress":true,"provisionStatus":"Provisioned","deprovisionStatus":"Required",
		"conditions":[{"type":"Ready","status":"True","reason":"Provisioned","message":"ok","lastTransitionTime":"2024-01-01T00:00:00Z"}]}}`},
	{"ServiceInstance", `{"metadata":{"name":"db","namespace":"ns"},"spec":{"clusterServiceClassName":"c","clusterServicePlanName":"p","externalID":"x"}}`},
	{"ServiceInstance", `{"metadata":{"name":"db","namespace":"ns"},"spec":{"serviceClassExternalName":"c","servicePlanExternalName":"p","externalID":"x"},
		"status":{"serviceClassRef":{"name":"c"},"servicePlanRef":{"name":"p"},"serviceBrokerName":"b"}}`},
	{"ServiceInstance", `{"metadata":{"name":"db","namespace":"ns"},"spec":{"serviceClassName":"c","clusterServicePlanName":"p","externalID":"x"},
		"status":{"clusterServiceClassRef":{"name":"c"},"servicePlanRef":{"name":"P"}}}`},
	{"ServiceBroker", `{"metadata":{"name":"b","namespace":"ns"},"spec":{"url":"https://broker.example.com/osb","relistBehavior":"Duration",
		"authInfo":{"bearer":{"secretRef":{"name":"token"}}}}}`},
	{"ServiceBroker", `{"metadata":{"name":"b"},"spec":{"url":"http://user:hunter2-password@broker.example.com","authInfo":{"basic":{"secretRef":{}}}}}`},
	{"ServiceClass", `{"metadata":{"name":"c","namespace":"ns"},"spec":{"serviceBrokerName":"b","externalName":"postgresql","externalID":"3f2d"}}`},
	{"ServicePlan", `{"metadata":{"name":"p","namespace":"ns"},"spec":{"serviceBrokerName":"b","serviceClassRef":{"name":"c"},"externalName":"small",
		"externalID":"p-1","instanceCreateParameterSchema":{"type":"object"}}}`},
	{"ServicePlan", `{"metadata":{"name":"p"},"spec":{"serviceClassRef":{},"maximumPollingDuration":"-1s"}}`},
	{"ServiceInstance", `{"metadata":{"generateName":"db-","namespace":"ns"},"spec":{"clusterServiceClassExternalID":"c","clusterServicePlanExternalName":"p",
		"externalID":"..","parameters":"hunter2-password","parametersFrom":[{}],"updateRequests":-3},"status":{"asyncOpInProgress":true,"currentOperation":"Nope"}}`},
	{"ServiceBinding", `{"metadata":{"name":"db-creds","namespace":"ns"},"spec":{"instanceRef":{"name":"db"},"externalID":"b-1","secretName":"creds",
		"parameters":{"role":"readwrite"},"parametersFrom":[{"secretKeyRef":{"name":"p","key":"k"}}],
		"secretTransforms":[{"renameKey":{"from":"a","to":"b"}},{"addKey":{"key":"c","stringValue":""}},{"addKey":{"key":"d","value":"eA=="}},
		{"addKey":{"key":"e","jsonPathExpression":"{.uri}"}},{"addKeysFrom":{"secretRef":{"name":"extra","namespace":"ns"}}},{"removeKey":{"key":"a"}}]},
		"status":{"currentOperation":"Bind","unbindStatus":"Required","operationKey":"op","binding":{"name":"creds"}}}`},
	{"ServiceBinding", `{"metadata":{"name":"db-creds","namespace":"ns"},"spec":{"instanceRef":{"name":"db"},"externalID":"b-1"}}`},
	{"ServiceBinding", `{"metadata":{"name":"db-creds","namespace":"ns"},"spec":{"instanceRef":{},"externalID":"b 1",
		"secretTransforms":[{},{"renameKey":{},"removeKey":{}},{"addKey":{"key":"k","value":"","jsonPathExpression":"{.a[?(@.b=="}},
		{"addKeysFrom":{"secretRef":{"name":"x","namespace":"other"}}},{"addKeysFrom":{}}]}}`},
}

// FuzzValidate decodes any document as the API server decodes a request body (v1beta1
// JSON, the kind defaulting to the one the first argument selects, defaults applied,
// converted to the internal version), then validates it as a create, as an update to
// itself and as a status update. Properties:
//   - nothing panics;
//   - defaults never make a valid object invalid: an object decoded without them that
//     validates still validates with them;
//   - an object valid on create is a valid update to itself, and is still valid, and
//     unchanged, once stored (encoded as v1beta1 and decoded again): otherwise it could
//     be created and never updated again, not even to remove its finalizer (raw JSON
//     compared by value: the encoder rewrites its bytes);
//   - no error about a broker URL, a CA bundle or inline parameters quotes the value,
//     which may hold a password.
func FuzzValidate(f *testing.F) {
	index := map[string]uint8{}
	for i, k := range fuzzKinds {
		index[k] = uint8(i)
	}
	for _, s := range validationSeeds {
		f.Add(index[s.kind], []byte(s.doc))
	}
	f.Add(uint8(0), []byte(`{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServiceBinding","metadata":{"name":"x"}}`))
	f.Add(uint8(3), []byte(`null`))

	scheme := runtime.NewScheme()
	install.Install(scheme)
	codecs := serializer.NewCodecFactory(scheme)
	internal := schema.GroupVersion{Group: sc.GroupName, Version: runtime.APIVersionInternal}
	decoder := codecs.UniversalDecoder(internal)
	undefaulted := codecs.UniversalDeserializer()
	encoder := codecs.LegacyCodec(v1beta1.SchemeGroupVersion)

	f.Fuzz(func(t *testing.T, kindIndex uint8, doc []byte) {
		defaultKind := v1beta1.SchemeGroupVersion.WithKind(fuzzKinds[int(kindIndex)%len(fuzzKinds)])
		obj, gvk, err := decoder.Decode(doc, &defaultKind, nil)
		if err != nil {
			return
		}
		v, ok := kindValidators[gvk.Kind]
		if !ok {
			return // another group's kind, such as a Status
		}
		errs := v.create(obj)
		checkQuotesNoSecret(t, obj, errs)
		self, old := withResourceVersion(obj), withResourceVersion(obj)
		updateErrs := v.update(self, old)
		checkQuotesNoSecret(t, obj, updateErrs)
		checkQuotesNoSecret(t, obj, v.statusUpdate(self, old))
		if raw, _, err := undefaulted.Decode(doc, &defaultKind, nil); err == nil {
			if plain, err := scheme.ConvertToVersion(raw, internal); err == nil && len(v.create(plain)) == 0 && len(errs) > 0 {
				t.Fatalf("defaults make a valid %s invalid: %v", gvk.Kind, errs)
			}
		}
		if len(errs) > 0 {
			return
		}
		if len(updateErrs) > 0 {
			t.Fatalf("valid %s is not a valid update to itself: %v", gvk.Kind, updateErrs)
		}

		data, err := runtime.Encode(encoder, obj)
		if err != nil {
			t.Fatalf("encoding a valid %s: %v", gvk.Kind, err)
		}
		stored, _, err := decoder.Decode(data, nil, nil)
		if err != nil {
			t.Fatalf("decoding a stored %s: %v\n%s", gvk.Kind, err, data)
		}
		if errs := v.create(stored); len(errs) > 0 {
			t.Fatalf("valid %s is invalid once stored: %v\nstored: %s", gvk.Kind, errs, data)
		}
		if errs := v.update(withResourceVersion(stored), withResourceVersion(obj)); len(errs) > 0 {
			t.Fatalf("a stored %s is not a valid update to what was written: %v\nstored: %s", gvk.Kind, errs, data)
		}
		written := obj.DeepCopyObject()
		fuzzer.CanonicalizeRawJSON(written)
		fuzzer.CanonicalizeRawJSON(stored)
		if !equality.Semantic.DeepEqual(written, stored) {
			t.Fatalf("a valid %s changes once stored:\nwritten: %#v\nstored:  %#v", gvk.Kind, obj, stored)
		}
	})
}

// withResourceVersion returns a copy of obj with a resourceVersion, which updates need.
func withResourceVersion(obj runtime.Object) runtime.Object {
	out := obj.DeepCopyObject()
	type versioned interface {
		GetResourceVersion() string
		SetResourceVersion(string)
	}
	if o, ok := out.(versioned); ok && o.GetResourceVersion() == "" {
		o.SetResourceVersion("1")
	}
	return out
}

// addBroker adds the values of a broker's spec that may hold a secret: its URL, the
// URL's password and its CA bundle.
func addBroker(add func(path, value string), spec *sc.CommonServiceBrokerSpec) {
	add("spec.url", spec.URL)
	if u, err := url.Parse(spec.URL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			add("spec.url", p)
		}
	}
	add("spec.caBundle", string(spec.CABundle))
}

// minQuotedSecret is the shortest value checkQuotesNoSecret looks for: shorter ones
// ("{}", "http") appear in messages for other reasons.
const minQuotedSecret = 6

// checkQuotesNoSecret fails the test if an error about a field that may hold a secret
// (a broker's URL and CA bundle, an instance's or binding's inline parameters) quotes
// that field's value or, for a URL, its password.
func checkQuotesNoSecret(t *testing.T, obj runtime.Object, errs field.ErrorList) {
	t.Helper()
	secrets := map[string][]string{}
	add := func(path, value string) {
		if len(value) >= minQuotedSecret {
			secrets[path] = append(secrets[path], value)
		}
	}
	switch o := obj.(type) {
	case *sc.ClusterServiceBroker:
		addBroker(add, &o.Spec.CommonServiceBrokerSpec)
	case *sc.ServiceBroker:
		addBroker(add, &o.Spec.CommonServiceBrokerSpec)
	case *sc.ServiceInstance:
		if o.Spec.Parameters != nil {
			add("spec.parameters", string(o.Spec.Parameters.Raw))
		}
	case *sc.ServiceBinding:
		if o.Spec.Parameters != nil {
			add("spec.parameters", string(o.Spec.Parameters.Raw))
		}
	}
	for _, e := range errs {
		for _, s := range secrets[e.Field] {
			if strings.Contains(e.Error(), s) {
				t.Fatalf("the error at %s quotes the value %q: %v", e.Field, s, e)
			}
		}
	}
}
