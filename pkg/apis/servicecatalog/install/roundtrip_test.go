package install

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/apitesting/roundtrip"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/fuzzer"
)

// TestRoundTripTypes checks that every kind of the group survives internal -> v1beta1 ->
// JSON -> v1beta1 -> internal without loss.
func TestRoundTripTypes(t *testing.T) {
	roundtrip.RoundTripTestForAPIGroup(t, Install, fuzzer.Funcs)
	// The v1beta1 types carry no protobuf tags, so the protobuf roundtrip does not apply.
}
