// Package clients builds the API clients kubectl catalog talks through from kubectl's
// standard flags (--kubeconfig, --context, --namespace, --as, ...), once per run.
package clients

import (
	"sync"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
)

// userAgent is the User-Agent of the plugin's requests.
const userAgent = "kubectl-catalog"

// Set holds the clients of one run.
type Set struct {
	// Catalog is the clientset of servicecatalog.k8s.io.
	Catalog versioned.Interface
	// Kube reads Secrets, Namespaces and Events.
	Kube kubernetes.Interface
	// CatalogREST is the REST client of servicecatalog.k8s.io/v1beta1, through which the
	// plugin asks for the server's tables.
	CatalogREST rest.Interface
}

// Getter gives a command its clients and the namespace it works in.
type Getter interface {
	// Clients returns the clients.
	Clients() (*Set, error)
	// Namespace returns --namespace, else the namespace of the kubeconfig's context,
	// else "default".
	Namespace() (string, error)
}

// FromConfigFlags returns a Getter that builds its clients from flags on first use.
func FromConfigFlags(flags *genericclioptions.ConfigFlags) Getter {
	return &configFlagsGetter{flags: flags}
}

type configFlagsGetter struct {
	flags *genericclioptions.ConfigFlags
	once  sync.Once
	set   *Set
	err   error
}

func (g *configFlagsGetter) Clients() (*Set, error) {
	g.once.Do(func() { g.set, g.err = build(g.flags) })
	return g.set, g.err
}

func (g *configFlagsGetter) Namespace() (string, error) {
	ns, _, err := g.flags.ToRawKubeConfigLoader().Namespace()
	return ns, err
}

// build makes the clients of a REST configuration read from flags.
func build(flags *genericclioptions.ConfigFlags) (*Set, error) {
	config, err := flags.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	config = rest.CopyConfig(config)
	config.UserAgent = userAgent
	catalog, err := versioned.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	kube, err := kubernetes.NewForConfig(config)
	if err != nil {
		return nil, err
	}
	return &Set{Catalog: catalog, Kube: kube, CatalogREST: catalog.ServicecatalogV1beta1().RESTClient()}, nil
}

// Static is a Getter of clients made elsewhere, such as fakes in tests.
type Static struct {
	// Set is the clients it gives.
	Set *Set
	// NS is the namespace it gives.
	NS string
}

// Clients returns s.Set.
func (s *Static) Clients() (*Set, error) { return s.Set, nil }

// Namespace returns s.NS.
func (s *Static) Namespace() (string, error) { return s.NS, nil }
