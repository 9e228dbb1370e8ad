package offerings_test

import (
	"context"
	"testing"

	kubefake "k8s.io/client-go/kubernetes/fake"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/cli/clients"
	"github.com/kube-service-catalog/catalog/pkg/cli/internal/fixtures"
	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
	"github.com/kube-service-catalog/catalog/pkg/cli/offerings"
	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/fake"
)

// namespaceSource is a scope of one namespace holding a class postgresql with a plan
// small, as a namespaced broker would publish them.
type namespaceSource struct{}

func (namespaceSource) Scope() offerings.Scope { return offerings.Namespace }

func (namespaceSource) Kinds() (broker, class, plan kinds.Kind) {
	return kinds.Kind{Kind: "ServiceBroker"}, kinds.Kind{Kind: "ServiceClass"}, kinds.Kind{Kind: "ServicePlan"}
}

func (s namespaceSource) Read(context.Context, string) (*offerings.Catalog, error) {
	return &offerings.Catalog{
		Source:  s,
		Classes: []offerings.Class{{Namespace: fixtures.Namespace, Name: "own-pg", ExternalName: "postgresql", BrokerName: "team-broker"}},
		Plans:   []offerings.Plan{{Namespace: fixtures.Namespace, Name: "own-pg-small", ExternalName: "small", ClassName: "own-pg", BrokerName: "team-broker"}},
	}, nil
}

func (namespaceSource) NotOffered(context.Context, *offerings.Catalog, string) (map[string]string, error) {
	return nil, nil
}

func (namespaceSource) Resolved(*v1beta1.ServiceInstance) (offerings.Resolution, bool) {
	return offerings.Resolution{}, false
}

func (namespaceSource) Named(*v1beta1.ServiceInstance) (string, string, string, bool) {
	return "", "", "", false
}

func (namespaceSource) SetExternalNames(*v1beta1.ServiceInstanceSpec, string, string) {}

func cluster() []offerings.Source {
	set := &clients.Set{Catalog: fake.NewSimpleClientset(fixtures.Catalog()...), Kube: kubefake.NewSimpleClientset(fixtures.Kube()...)}
	return offerings.Sources(set)
}

// A class of the namespace wins over a cluster class of the same external name; a
// scope chosen by name is looked in alone.
func TestFindPrefersTheNamespace(t *testing.T) {
	ctx := context.Background()
	sources := append([]offerings.Source{namespaceSource{}}, cluster()...)
	for _, tc := range []struct {
		scope, plan, wantClass string
		wantScope              offerings.Scope
	}{
		{"", "small", "own-pg", offerings.Namespace},
		{"cluster", "small", "postgresql-id", offerings.Cluster},
		{"namespace", "", "own-pg", offerings.Namespace},
	} {
		selected, err := offerings.Select(sources, tc.scope)
		if err != nil {
			t.Fatal(err)
		}
		choice, err := offerings.Find(ctx, selected, fixtures.Namespace, "postgresql", tc.plan)
		if err != nil {
			t.Fatalf("scope %q: %v", tc.scope, err)
		}
		if choice.Class.Name != tc.wantClass || choice.Source.Scope() != tc.wantScope {
			t.Errorf("scope %q: chose %s of scope %s, want %s of %s", tc.scope, choice.Class.Name, choice.Source.Scope(), tc.wantClass, tc.wantScope)
		}
	}
	// The namespace has no large plan: its class still wins, and says so.
	if _, err := offerings.Find(ctx, sources, fixtures.Namespace, "postgresql", "large"); err == nil || err.Error() != `class "postgresql" has no plan "large": its plans are small` {
		t.Errorf("plan large: %v", err)
	}
}

// The cluster source keeps out removed classes and plans and the classes of brokers
// whose namespaceSelector does not match the namespace; the namespace source offers
// the namespace's classes first.
func TestOffered(t *testing.T) {
	for ns, want := range map[string][]string{
		fixtures.Namespace: {"mysql", "postgresql", "queue", "redis"},
		"team-b":           {"ledger", "postgresql", "queue", "redis"},
	} {
		catalogs, err := offerings.Offered(context.Background(), cluster(), ns)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range catalogs {
			for _, cl := range c.Classes {
				got = append(got, cl.ExternalName)
			}
		}
		if len(got) != len(want) {
			t.Errorf("namespace %s: classes %v, want %v", ns, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("namespace %s: classes %v, want %v", ns, got, want)
			}
		}
	}
}
