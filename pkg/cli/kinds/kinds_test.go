package kinds_test

import (
	"strings"
	"testing"

	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
)

func TestLookup(t *testing.T) {
	for word, want := range map[string]string{
		"brokers": "ClusterServiceBroker,ServiceBroker", "broker": "ClusterServiceBroker,ServiceBroker", "csb": "ClusterServiceBroker",
		"nsb": "ServiceBroker", "nsc": "ServiceClass", "nsp": "ServicePlan", "serviceplans": "ServicePlan",
		"Instances": "ServiceInstance", "si": "ServiceInstance", "serviceinstance": "ServiceInstance", "serviceinstances": "ServiceInstance",
		"sb": "ServiceBinding", "plans": "ClusterServicePlan,ServicePlan", "clusterserviceclasses": "ClusterServiceClass",
	} {
		g, err := kinds.Lookup(word, kinds.All())
		var got []string
		for _, k := range g.Kinds {
			got = append(got, k.Kind)
		}
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("%s: %v %v, want %s", word, g, err, want)
		}
	}
	if _, err := kinds.Lookup("si", []kinds.Group{kinds.Bindings}); err == nil || err.Error() != `unknown resource "si": use one of bindings` {
		t.Errorf("si among bindings: %v", err)
	}
}
