package install

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/apitesting/roundtrip"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/fuzzer"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// TestRoundTripTypes checks that every kind of the group survives internal -> v1beta1 ->
// JSON -> v1beta1 -> internal without loss.
func TestRoundTripTypes(t *testing.T) {
	roundtrip.RoundTripTestForAPIGroup(t, Install, fuzzer.Funcs)
}

// TestRoundTripProtobuf checks the same through protobuf, the encoding the API server
// stores and the controller speaks: internal -> v1beta1 -> protobuf -> v1beta1 ->
// internal, and v1beta1 -> protobuf -> v1beta1, for every kind and list of the group.
func TestRoundTripProtobuf(t *testing.T) {
	roundtrip.RoundTripProtobufTestForAPIGroup(t, Install, fuzzer.Funcs)
}

// TestInstallServesEveryKind checks that the group, and so the roundtrip above, has every
// kind and list of both scopes.
func TestInstallServesEveryKind(t *testing.T) {
	scheme := runtime.NewScheme()
	Install(scheme)
	for _, kind := range []string{
		"ClusterServiceBroker", "ClusterServiceClass", "ClusterServicePlan",
		"ServiceBroker", "ServiceClass", "ServicePlan", "ServiceInstance", "ServiceBinding",
	} {
		for _, k := range []string{kind, kind + "List"} {
			if !scheme.Recognizes(v1beta1.SchemeGroupVersion.WithKind(k)) {
				t.Errorf("v1beta1 has no %s", k)
			}
			if !scheme.Recognizes(servicecatalog.SchemeGroupVersion.WithKind(k)) {
				t.Errorf("the internal version has no %s", k)
			}
		}
	}
}
