// Package kinds names the resources of servicecatalog.k8s.io the way users type them on
// the command line of kubectl catalog: "instance", "si", "serviceinstances", or a word
// such as "brokers" that stands for the brokers of every scope.
package kinds

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is one resource of servicecatalog.k8s.io.
type Kind struct {
	// Kind is the kind of its objects, such as ServiceInstance.
	Kind string
	// Resource is its plural resource name, as in the API path.
	Resource string
	// Short is its short name.
	Short string
	// Namespaced tells whether its objects live in a namespace.
	Namespaced bool
}

// The kinds of servicecatalog.k8s.io/v1beta1.
var (
	ClusterServiceBroker = Kind{Kind: "ClusterServiceBroker", Resource: "clusterservicebrokers", Short: "csb"}
	ClusterServiceClass  = Kind{Kind: "ClusterServiceClass", Resource: "clusterserviceclasses", Short: "csc"}
	ClusterServicePlan   = Kind{Kind: "ClusterServicePlan", Resource: "clusterserviceplans", Short: "csp"}
	ServiceBroker        = Kind{Kind: "ServiceBroker", Resource: "servicebrokers", Short: "nsb", Namespaced: true}
	ServiceClass         = Kind{Kind: "ServiceClass", Resource: "serviceclasses", Short: "nsc", Namespaced: true}
	ServicePlan          = Kind{Kind: "ServicePlan", Resource: "serviceplans", Short: "nsp", Namespaced: true}
	ServiceInstance      = Kind{Kind: "ServiceInstance", Resource: "serviceinstances", Short: "si", Namespaced: true}
	ServiceBinding       = Kind{Kind: "ServiceBinding", Resource: "servicebindings", Short: "sb", Namespaced: true}
)

// Singular is the kind's name in lower case, as kubectl prints it: serviceinstance.
func (k Kind) Singular() string {
	return strings.ToLower(k.Kind)
}

// names are the words that name the kind alone.
func (k Kind) names() []string {
	return []string{k.Resource, k.Singular(), k.Short}
}

// Group is a word users type for a family of kinds, and the kinds it stands for, of
// every scope.
type Group struct {
	// Word is the group's plural word, such as "brokers".
	Word string
	// Singular is the group's singular word, such as "broker".
	Singular string
	// Kinds are the kinds of the group, in the order they are printed.
	Kinds []Kind
}

// Groups are the families of kinds, each with its kinds of every scope.
var (
	Brokers   = Group{Word: "brokers", Singular: "broker", Kinds: []Kind{ClusterServiceBroker, ServiceBroker}}
	Classes   = Group{Word: "classes", Singular: "class", Kinds: []Kind{ClusterServiceClass, ServiceClass}}
	Plans     = Group{Word: "plans", Singular: "plan", Kinds: []Kind{ClusterServicePlan, ServicePlan}}
	Instances = Group{Word: "instances", Singular: "instance", Kinds: []Kind{ServiceInstance}}
	Bindings  = Group{Word: "bindings", Singular: "binding", Kinds: []Kind{ServiceBinding}}
)

// All lists the groups in the order of the catalog: brokers offer classes, classes have
// plans, instances use plans, bindings use instances.
func All() []Group {
	return []Group{Brokers, Classes, Plans, Instances, Bindings}
}

// Words lists the plural words of groups, for help texts and completion.
func Words(groups []Group) []string {
	words := make([]string, 0, len(groups))
	for _, g := range groups {
		words = append(words, g.Word)
	}
	return words
}

// Lookup returns what word names among groups: a group's word (plural or singular) stands
// for every kind of the group, a kind's resource, singular or short name for that kind
// alone. The error lists the words that would do.
func Lookup(word string, groups []Group) (Group, error) {
	w := strings.ToLower(word)
	for _, g := range groups {
		if w == g.Word || w == g.Singular {
			return g, nil
		}
		for _, k := range g.Kinds {
			if slices.Contains(k.names(), w) {
				return Group{Word: k.Resource, Singular: k.Singular(), Kinds: []Kind{k}}, nil
			}
		}
	}
	return Group{}, fmt.Errorf("unknown resource %q: use one of %s", word, strings.Join(Words(groups), ", "))
}
