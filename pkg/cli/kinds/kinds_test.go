package kinds_test

import (
	"testing"

	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
)

func TestLookup(t *testing.T) {
	for word, want := range map[string]string{
		"brokers": "ClusterServiceBroker", "broker": "ClusterServiceBroker", "csb": "ClusterServiceBroker",
		"Instances": "ServiceInstance", "si": "ServiceInstance", "serviceinstance": "ServiceInstance", "serviceinstances": "ServiceInstance",
		"sb": "ServiceBinding", "plans": "ClusterServicePlan", "clusterserviceclasses": "ClusterServiceClass",
	} {
		g, err := kinds.Lookup(word, kinds.All())
		if err != nil || len(g.Kinds) != 1 || g.Kinds[0].Kind != want {
			t.Errorf("%s: %v %v, want %s", word, g, err, want)
		}
	}
	if _, err := kinds.Lookup("si", []kinds.Group{kinds.Bindings}); err == nil || err.Error() != `unknown resource "si": use one of bindings` {
		t.Errorf("si among bindings: %v", err)
	}
}
