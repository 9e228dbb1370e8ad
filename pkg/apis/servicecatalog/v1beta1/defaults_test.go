package v1beta1_test

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

func newCodecs(t *testing.T) serializer.CodecFactory {
	t.Helper()
	return serializer.NewCodecFactory(newScheme())
}

func newScheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	return scheme
}

// decode decodes a v1beta1 JSON document into the given version, as the API server
// decodes request bodies.
func decode(t *testing.T, codecs serializer.CodecFactory, gv schema.GroupVersion, doc string) runtime.Object {
	t.Helper()
	obj, _, err := codecs.UniversalDecoder(gv).Decode([]byte(doc), nil, nil)
	if err != nil {
		t.Fatalf("decoding %s: %v", doc, err)
	}
	return obj
}

var internalGV = schema.GroupVersion{Group: sc.GroupName, Version: runtime.APIVersionInternal}

// TestDecodeDefaultsBrokers checks the defaults of the brokers of both scopes.
func TestDecodeDefaultsBrokers(t *testing.T) {
	codecs := newCodecs(t)
	tests := []struct {
		name string
		spec string
		want sc.ServiceBrokerRelistBehavior
	}{{
		name: "unset relistBehavior defaults to Duration",
		spec: `{"url":"https://broker.example.com"}`,
		want: sc.ServiceBrokerRelistBehaviorDuration,
	}, {
		name: "Manual is kept",
		spec: `{"url":"https://broker.example.com","relistBehavior":"Manual"}`,
		want: sc.ServiceBrokerRelistBehaviorManual,
	}, {
		name: "an unknown value is left for validation to refuse",
		spec: `{"url":"https://broker.example.com","relistBehavior":"Sometimes"}`,
		want: "Sometimes",
	}}
	for _, kind := range []string{"ClusterServiceBroker", "ServiceBroker"} {
		for _, tc := range tests {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				doc := `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"` + kind + `","metadata":{"name":"b","namespace":"ns"},"spec":` + tc.spec + `}`
				internal := brokerSpec(t, decode(t, codecs, internalGV, doc))
				if got := internal.RelistBehavior; got != tc.want {
					t.Errorf("internal relistBehavior = %q, want %q", got, tc.want)
				}
				versioned := brokerSpec(t, decode(t, codecs, v1beta1.SchemeGroupVersion, doc))
				if got := versioned.RelistBehavior; string(got) != string(tc.want) {
					t.Errorf("v1beta1 relistBehavior = %q, want %q", got, tc.want)
				}
				if versioned.RelistDuration != nil {
					t.Errorf("relistDuration = %v, want it left unset (the controller's default applies)", versioned.RelistDuration)
				}
			})
		}
	}
}

// brokerSpec returns the spec every broker has, as internal values, of a decoded broker
// of either scope and version.
func brokerSpec(t *testing.T, obj runtime.Object) sc.CommonServiceBrokerSpec {
	t.Helper()
	switch b := obj.(type) {
	case *sc.ClusterServiceBroker:
		return b.Spec.CommonServiceBrokerSpec
	case *sc.ServiceBroker:
		return b.Spec.CommonServiceBrokerSpec
	case *v1beta1.ClusterServiceBroker, *v1beta1.ServiceBroker:
		internal, err := newScheme().ConvertToVersion(obj, internalGV)
		if err != nil {
			t.Fatal(err)
		}
		return brokerSpec(t, internal)
	}
	t.Fatalf("decoded a %T, want a broker", obj)
	return sc.CommonServiceBrokerSpec{}
}

func TestDecodeDefaultsServiceBinding(t *testing.T) {
	codecs := newCodecs(t)
	tests := []struct {
		name string
		doc  string
		want string
	}{{
		name: "unset secretName defaults to the binding's name",
		doc:  `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServiceBinding","metadata":{"name":"db-binding","namespace":"ns"},"spec":{"instanceRef":{"name":"db"}}}`,
		want: "db-binding",
	}, {
		name: "a given secretName is kept",
		doc:  `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServiceBinding","metadata":{"name":"db-binding","namespace":"ns"},"spec":{"instanceRef":{"name":"db"},"secretName":"db-credentials"}}`,
		want: "db-credentials",
	}, {
		name: "generateName without a name leaves it for the strategy",
		doc:  `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServiceBinding","metadata":{"generateName":"db-","namespace":"ns"},"spec":{"instanceRef":{"name":"db"}}}`,
		want: "",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			internal, ok := decode(t, codecs, internalGV, tc.doc).(*sc.ServiceBinding)
			if !ok {
				t.Fatalf("decoded to %T, want *servicecatalog.ServiceBinding", internal)
			}
			if got := internal.Spec.SecretName; got != tc.want {
				t.Errorf("internal secretName = %q, want %q", got, tc.want)
			}
			versioned, ok := decode(t, codecs, v1beta1.SchemeGroupVersion, tc.doc).(*v1beta1.ServiceBinding)
			if !ok {
				t.Fatalf("decoded to %T, want *v1beta1.ServiceBinding", versioned)
			}
			if got := versioned.Spec.SecretName; got != tc.want {
				t.Errorf("v1beta1 secretName = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDecodeDefaultsListItems(t *testing.T) {
	codecs := newCodecs(t)

	brokers, ok := decode(t, codecs, internalGV, `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ClusterServiceBrokerList","metadata":{},"items":[
		{"metadata":{"name":"a"},"spec":{"url":"https://a.example.com"}},
		{"metadata":{"name":"b"},"spec":{"url":"https://b.example.com","relistBehavior":"Manual"}}]}`).(*sc.ClusterServiceBrokerList)
	if !ok {
		t.Fatalf("decoded to %T, want *servicecatalog.ClusterServiceBrokerList", brokers)
	}
	if len(brokers.Items) != 2 {
		t.Fatalf("decoded %d brokers, want 2", len(brokers.Items))
	}
	if got := brokers.Items[0].Spec.RelistBehavior; got != sc.ServiceBrokerRelistBehaviorDuration {
		t.Errorf("items[0] relistBehavior = %q, want Duration", got)
	}
	if got := brokers.Items[1].Spec.RelistBehavior; got != sc.ServiceBrokerRelistBehaviorManual {
		t.Errorf("items[1] relistBehavior = %q, want Manual", got)
	}

	bindings, ok := decode(t, codecs, internalGV, `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServiceBindingList","metadata":{},"items":[
		{"metadata":{"name":"one","namespace":"ns"},"spec":{"instanceRef":{"name":"db"}}},
		{"metadata":{"name":"two","namespace":"ns"},"spec":{"instanceRef":{"name":"db"},"secretName":"s"}}]}`).(*sc.ServiceBindingList)
	if !ok {
		t.Fatalf("decoded to %T, want *servicecatalog.ServiceBindingList", bindings)
	}
	if len(bindings.Items) != 2 {
		t.Fatalf("decoded %d bindings, want 2", len(bindings.Items))
	}
	if got := bindings.Items[0].Spec.SecretName; got != "one" {
		t.Errorf("items[0] secretName = %q, want %q", got, "one")
	}
	if got := bindings.Items[1].Spec.SecretName; got != "s" {
		t.Errorf("items[1] secretName = %q, want %q", got, "s")
	}
}

// TestDecodeNoOtherDefaults guards against defaulting creeping into kinds and fields that
// must stay as the client sent them.
func TestDecodeNoOtherDefaults(t *testing.T) {
	codecs := newCodecs(t)
	instance, ok := decode(t, codecs, internalGV, `{"apiVersion":"servicecatalog.k8s.io/v1beta1","kind":"ServiceInstance","metadata":{"name":"db","namespace":"ns"},"spec":{"clusterServiceClassExternalName":"pg","clusterServicePlanExternalName":"small"}}`).(*sc.ServiceInstance)
	if !ok {
		t.Fatalf("decoded to %T, want *servicecatalog.ServiceInstance", instance)
	}
	if instance.Spec.ExternalID != "" || instance.Spec.UserInfo != nil || instance.Spec.Parameters != nil {
		t.Errorf("decoding set server-owned fields: externalID=%q userInfo=%v parameters=%v",
			instance.Spec.ExternalID, instance.Spec.UserInfo, instance.Spec.Parameters)
	}
}
