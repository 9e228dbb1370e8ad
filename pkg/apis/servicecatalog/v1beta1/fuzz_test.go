package v1beta1_test

import (
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/fuzzer"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// fuzzKinds are the kinds the fuzz target's first argument selects among.
var fuzzKinds = []string{
	"ClusterServiceBroker", "ClusterServiceClass", "ClusterServicePlan", "ServiceInstance", "ServiceBinding",
	"ClusterServiceBrokerList", "ClusterServiceClassList", "ClusterServicePlanList", "ServiceInstanceList", "ServiceBindingList",
	"ServiceBroker", "ServiceClass", "ServicePlan", "ServiceBrokerList", "ServiceClassList", "ServicePlanList",
}

// FuzzDefaultsAndConversion decodes any document as a v1beta1 object of the selected kind
// (without defaults, as a client library would) and checks, for whatever decodes:
//   - defaulting and conversion never panic;
//   - defaulting fills in exactly the documented fields (a broker's relistBehavior, a
//     binding's secretName from its name) when they are empty, touches nothing else,
//     and changes nothing the second time;
//   - converting to the internal version and back gives the same object, and so does
//     encoding it as JSON and decoding it again: nothing a client sends is lost (raw
//     parameters, schemas and metadata compared as JSON values, since the encoder
//     rewrites their bytes).
func FuzzDefaultsAndConversion(f *testing.F) {
	index := map[string]uint8{}
	for i, k := range fuzzKinds {
		index[k] = uint8(i)
	}
	for _, s := range []struct{ kind, doc string }{
		{"ClusterServiceBroker", `{"metadata":{"name":"b"},"spec":{"url":"https://b.example.com","relistDuration":"15m0s","authInfo":{"bearer":{"secretRef":{"namespace":"ns","name":"t"}}}}}`},
		{"ClusterServiceBroker", `{"metadata":{"name":"b"},"spec":{"url":"u","relistBehavior":"Manual","caBundle":"eA==","catalogRestrictions":{"serviceClass":["a=b"]}}}`},
		{"ClusterServiceClass", `{"metadata":{"name":"c"},"spec":{"clusterServiceBrokerName":"b","externalName":"n","externalID":"i","externalMetadata":{"a":[1,{"b":null}]},"requires":["syslog_drain"]}}`},
		{"ClusterServicePlan", `{"metadata":{"name":"p"},"spec":{"clusterServiceClassRef":{"name":"c"},"maintenanceInfo":{"version":"1"},"maximumPollingDuration":"1h","instanceCreateParameterSchema":{"type":"object"}}}`},
		{"ServiceInstance", `{"metadata":{"name":"i","namespace":"ns"},"spec":{"clusterServiceClassExternalName":"c","clusterServicePlanExternalName":"p","parameters":{"a":1.5e300},"parametersFrom":[{"secretKeyRef":{"name":"s","key":"k"}}],"userInfo":{"username":"u","extra":{"k":["v"]}}},"status":{"conditions":[{"type":"Ready","status":"True","reason":"R","message":"","lastTransitionTime":"2024-01-01T00:00:00Z"}]}}`},
		{"ServiceBinding", `{"metadata":{"name":"b","namespace":"ns"},"spec":{"instanceRef":{"name":"i"},"secretTransforms":[{"addKey":{"key":"k","value":"","stringValue":"v"}},{"renameKey":{"from":"a","to":"b"}}]}}`},
		{"ServiceBinding", `{"metadata":{"generateName":"b-","namespace":"ns"},"spec":{"instanceRef":{"name":"i"},"secretName":""}}`},
		{"ServiceBindingList", `{"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"},"spec":{"secretName":"s"}}]}`},
		{"ClusterServiceBrokerList", `{"items":[{"spec":{}},{"spec":{"relistBehavior":"Duration"}}]}`},
		{"ServiceBroker", `{"metadata":{"name":"b","namespace":"ns"},"spec":{"url":"https://b.example.com","authInfo":{"basic":{"secretRef":{"name":"s"}}}}}`},
		{"ServiceBrokerList", `{"items":[{"spec":{}},{"spec":{"relistBehavior":"Manual"}}]}`},
		{"ServiceClass", `{"metadata":{"name":"c","namespace":"ns"},"spec":{"serviceBrokerName":"b","externalName":"n","externalID":"i"},"status":{"catalogDigest":"sha256:00"}}`},
		{"ServicePlan", `{"metadata":{"name":"p","namespace":"ns"},"spec":{"serviceClassRef":{"name":"c"},"serviceBindingCreateParameterSchema":{"type":"object"}}}`},
		{"ServiceInstance", `{"metadata":{"name":"i","namespace":"ns"},"spec":{"serviceClassName":"c","servicePlanName":"p"},"status":{"serviceClassRef":{"name":"c"},"serviceBrokerName":"b"}}`},
	} {
		f.Add(index[s.kind], []byte(s.doc))
	}

	scheme := runtime.NewScheme()
	install.Install(scheme)
	codecs := serializer.NewCodecFactory(scheme)
	deserializer := codecs.UniversalDeserializer()
	encoder := codecs.LegacyCodec(v1beta1.SchemeGroupVersion)

	f.Fuzz(func(t *testing.T, kindIndex uint8, doc []byte) {
		gvk := v1beta1.SchemeGroupVersion.WithKind(fuzzKinds[int(kindIndex)%len(fuzzKinds)])
		obj, got, err := deserializer.Decode(doc, &gvk, nil)
		if err != nil || got.GroupVersion() != v1beta1.SchemeGroupVersion {
			return
		}
		clearTypeMeta(obj)

		defaulted := obj.DeepCopyObject()
		scheme.Default(defaulted)
		checkDefaults(t, obj, defaulted)
		again := defaulted.DeepCopyObject()
		scheme.Default(again)
		if !reflect.DeepEqual(again, defaulted) {
			t.Fatalf("defaulting twice changes %T:\nonce:  %#v\ntwice: %#v", obj, defaulted, again)
		}

		internal, err := scheme.ConvertToVersion(defaulted.DeepCopyObject(), schema.GroupVersion{Group: v1beta1.GroupName, Version: runtime.APIVersionInternal})
		if err != nil {
			t.Fatalf("converting %T to the internal version: %v", obj, err)
		}
		back, err := scheme.ConvertToVersion(internal, v1beta1.SchemeGroupVersion)
		if err != nil {
			t.Fatalf("converting %T back to v1beta1: %v", internal, err)
		}
		clearTypeMeta(back)
		if !sameObject(back, defaulted) {
			t.Fatalf("%T changes through the internal version:\nsent: %#v\nback: %#v", obj, defaulted, back)
		}

		data, err := runtime.Encode(encoder, defaulted)
		if err != nil {
			t.Fatalf("encoding %T: %v", obj, err)
		}
		reread, _, err := deserializer.Decode(data, nil, nil)
		if err != nil {
			t.Fatalf("decoding encoded %T: %v\n%s", obj, err, data)
		}
		clearTypeMeta(reread)
		if !sameObject(reread, defaulted) {
			t.Fatalf("%T changes through JSON:\nsent: %#v\nread: %#v\njson: %s", obj, defaulted, reread, data)
		}
	})
}

// sameObject compares two objects as the API does: semantically, raw JSON by value.
func sameObject(a, b runtime.Object) bool {
	a, b = a.DeepCopyObject(), b.DeepCopyObject()
	fuzzer.CanonicalizeRawJSON(a)
	fuzzer.CanonicalizeRawJSON(b)
	return equality.Semantic.DeepEqual(a, b)
}

// clearTypeMeta removes apiVersion and kind, which decoding and conversion set.
func clearTypeMeta(obj runtime.Object) {
	obj.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
}

// checkDefaults checks that defaulted is obj with its documented defaults filled in and
// nothing else changed.
func checkDefaults(t *testing.T, obj, defaulted runtime.Object) {
	t.Helper()
	undone := defaulted.DeepCopyObject()
	switch o := obj.(type) {
	case *v1beta1.ClusterServiceBroker:
		undoBrokerDefaults(t, &o.Spec.CommonServiceBrokerSpec, &undone.(*v1beta1.ClusterServiceBroker).Spec.CommonServiceBrokerSpec)
	case *v1beta1.ClusterServiceBrokerList:
		for i := range o.Items {
			undoBrokerDefaults(t, &o.Items[i].Spec.CommonServiceBrokerSpec, &undone.(*v1beta1.ClusterServiceBrokerList).Items[i].Spec.CommonServiceBrokerSpec)
		}
	case *v1beta1.ServiceBroker:
		undoBrokerDefaults(t, &o.Spec.CommonServiceBrokerSpec, &undone.(*v1beta1.ServiceBroker).Spec.CommonServiceBrokerSpec)
	case *v1beta1.ServiceBrokerList:
		for i := range o.Items {
			undoBrokerDefaults(t, &o.Items[i].Spec.CommonServiceBrokerSpec, &undone.(*v1beta1.ServiceBrokerList).Items[i].Spec.CommonServiceBrokerSpec)
		}
	case *v1beta1.ServiceBinding:
		undoBindingDefaults(t, o, undone.(*v1beta1.ServiceBinding))
	case *v1beta1.ServiceBindingList:
		for i := range o.Items {
			undoBindingDefaults(t, &o.Items[i], &undone.(*v1beta1.ServiceBindingList).Items[i])
		}
	}
	if !reflect.DeepEqual(undone, obj) {
		t.Fatalf("defaulting %T changes more than its defaults:\nbefore: %#v\nafter:  %#v", obj, obj, defaulted)
	}
}

// undoBrokerDefaults checks the defaults of a broker's spec, of either scope, and resets
// them in d.
func undoBrokerDefaults(t *testing.T, orig, d *v1beta1.CommonServiceBrokerSpec) {
	t.Helper()
	if orig.RelistBehavior == "" {
		if d.RelistBehavior != v1beta1.ServiceBrokerRelistBehaviorDuration {
			t.Fatalf("an empty relistBehavior defaults to %q", d.RelistBehavior)
		}
		d.RelistBehavior = ""
	}
}

// undoBindingDefaults checks the defaults of a binding and resets them in d.
func undoBindingDefaults(t *testing.T, orig, d *v1beta1.ServiceBinding) {
	t.Helper()
	if orig.Spec.SecretName == "" {
		if d.Spec.SecretName != orig.Name {
			t.Fatalf("an empty secretName defaults to %q, not the binding's name %q", d.Spec.SecretName, orig.Name)
		}
		d.Spec.SecretName = ""
	}
}
