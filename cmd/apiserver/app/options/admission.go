package options

import (
	"slices"

	genericinitializer "k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/admission"
	admissionmetrics "k8s.io/apiserver/pkg/admission/metrics"
	"k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"

	"github.com/kube-service-catalog/catalog/pkg/admission/adoption"
	"github.com/kube-service-catalog/catalog/pkg/admission/bindinglifecycle"
	"github.com/kube-service-catalog/catalog/pkg/admission/brokervisibility"
	"github.com/kube-service-catalog/catalog/pkg/admission/defaultplan"
	"github.com/kube-service-catalog/catalog/pkg/admission/externalid"
	"github.com/kube-service-catalog/catalog/pkg/admission/initializer"
	"github.com/kube-service-catalog/catalog/pkg/admission/instancesharing"
	"github.com/kube-service-catalog/catalog/pkg/admission/parameterschema"
	"github.com/kube-service-catalog/catalog/pkg/admission/pendingchange"
	"github.com/kube-service-catalog/catalog/pkg/admission/planchange"
	"github.com/kube-service-catalog/catalog/pkg/admission/platformfeatures"
	"github.com/kube-service-catalog/catalog/pkg/admission/secretaccess"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	informers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
)

// admissionPlugin is one of the catalog's admission plugins.
type admissionPlugin struct {
	name     string
	register func(*admission.Plugins)
	// needsCoreAPI is set for plugins that call the Kubernetes API, which standalone
	// mode does not have.
	needsCoreAPI bool
}

// admissionPlugins are the catalog's admission plugins, in the order they run. All are
// enabled by default.
var admissionPlugins = []admissionPlugin{
	{defaultplan.PluginName, defaultplan.Register, false},
	{planchange.PluginName, planchange.Register, false},
	{platformfeatures.PluginName, platformfeatures.Register, false},
	{pendingchange.PluginName, pendingchange.Register, false},
	{bindinglifecycle.PluginName, bindinglifecycle.Register, false},
	{externalid.PluginName, externalid.Register, false},
	{instancesharing.PluginName, instancesharing.Register, true},
	{adoption.PluginName, adoption.Register, true},
	{brokervisibility.PluginName, brokervisibility.Register, true},
	{secretaccess.PluginName, secretaccess.Register, true},
	{parameterschema.PluginName, parameterschema.Register, false},
}

// addAdmissionPlugins registers the catalog's plugins (only those that need no Kubernetes
// API when standalone) and enables them right after NamespaceLifecycle, before the
// admission policies and webhooks: a request into a missing namespace is refused as such
// first, and the catalog's cheap local checks refuse bad requests before any webhook is
// called.
func addAdmissionPlugins(a *genericoptions.AdmissionOptions, standalone bool) {
	var names []string
	for _, p := range admissionPlugins {
		if standalone && p.needsCoreAPI {
			continue
		}
		p.register(a.Plugins)
		names = append(names, p.name)
	}
	at := slices.Index(a.RecommendedPluginOrder, lifecycle.PluginName) + 1 // 0 without it
	a.RecommendedPluginOrder = slices.Insert(slices.Clone(a.RecommendedPluginOrder), at, names...)
}

// standaloneAdmission reduces a to the catalog's plugins that need no Kubernetes API.
// The generic ones (NamespaceLifecycle, webhooks, admission policies) all read the
// Kubernetes API.
func standaloneAdmission(a *genericoptions.AdmissionOptions) {
	a.Plugins = admission.NewPlugins()
	a.RecommendedPluginOrder = nil
	addAdmissionPlugins(a, true)
}

// admissionReaders is what the catalog's admission plugins read catalog objects with: one
// CatalogReader over informers on the loopback client, which the server starts once it
// runs, the loopback client itself, and the server's own ServiceInstance storage, which the
// server hands over once it has built it.
type admissionReaders struct {
	informers   informers.SharedInformerFactory
	instances   initializer.StoredInstances
	initializer admission.PluginInitializer
}

// initializers is the RecommendedOptions.ExtraAdmissionInitializers that builds the
// readers on the server's loopback client.
func (r *admissionReaders) initializers(c *genericapiserver.RecommendedConfig) ([]admission.PluginInitializer, error) {
	client, err := clientset.NewForConfig(c.LoopbackClientConfig)
	if err != nil {
		return nil, err
	}
	r.informers = informers.NewSharedInformerFactory(client, 0)
	r.initializer = initializer.New(initializer.NewCatalogReader(r.informers, client, &r.instances))
	if c.ClientConfig == nil {
		return []admission.PluginInitializer{r.initializer}, nil // standalone: no Kubernetes API
	}
	kube := rest.CopyConfig(c.ClientConfig)
	kube.QPS, kube.Burst = admissionKubeQPS, 2*admissionKubeQPS
	kubeClient, err := kubernetes.NewForConfig(kube)
	if err != nil {
		return nil, err
	}
	return []admission.PluginInitializer{r.initializer, kubeClientInitializer{kubeClient}}, nil
}

// admissionKubeQPS is the rate of requests the admission plugins may send to the
// Kubernetes API: the Secret access check asks it about every create or update that names
// a Secret, and client-go's default of 5 per second would throttle those writes.
const admissionKubeQPS = 200

// kubeClientInitializer gives the plugins that call the Kubernetes API a client with the
// rate of admissionKubeQPS. It runs after the generic initializer, whose client it
// replaces.
type kubeClientInitializer struct{ client kubernetes.Interface }

// Initialize hands the client to a plugin that wants one.
func (i kubeClientInitializer) Initialize(p admission.Interface) {
	if w, ok := p.(genericinitializer.WantsExternalKubeClientSet); ok {
		w.SetExternalKubeClientSet(i.client)
	}
}

// applyStandaloneAdmission installs the admission chain of standalone mode.
// AdmissionOptions.ApplyTo cannot build it: it insists on a Kubernetes client for the
// generic plugins.
func applyStandaloneAdmission(a *genericoptions.AdmissionOptions, cfg *genericapiserver.Config, initializers ...admission.PluginInitializer) error {
	names := enabledPlugins(a)
	noConfig, err := admission.ReadAdmissionConfiguration(names, "", nil)
	if err != nil {
		return err
	}
	chain, err := a.Plugins.NewFromPlugins(names, noConfig, admission.PluginInitializers(initializers), a.Decorators)
	if err != nil {
		return err
	}
	cfg.AdmissionControl = admissionmetrics.WithStepMetrics(chain)
	return nil
}

// enabledPlugins returns the plugins a enables, in order, as AdmissionOptions.ApplyTo
// would.
func enabledPlugins(a *genericoptions.AdmissionOptions) []string {
	disabled := sets.New(a.DisablePlugins...).Union(a.DefaultOffPlugins).Delete(a.EnablePlugins...)
	var names []string
	for _, name := range a.RecommendedPluginOrder {
		if !disabled.Has(name) {
			names = append(names, name)
		}
	}
	return names
}
