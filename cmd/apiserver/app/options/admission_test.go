package options

import (
	"slices"
	"strings"
	"testing"

	"k8s.io/apiserver/pkg/admission"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

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
	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/fake"
	informers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
)

var catalogPlugins = []string{defaultplan.PluginName, planchange.PluginName, platformfeatures.PluginName, pendingchange.PluginName, bindinglifecycle.PluginName, externalid.PluginName, instancesharing.PluginName, adoption.PluginName, brokervisibility.PluginName, secretaccess.PluginName, parameterschema.PluginName}

func TestDelegatedAdmissionOrder(t *testing.T) {
	o := NewOptions()
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	a := o.RecommendedOptions.Admission
	want := append(append([]string{"NamespaceLifecycle"}, catalogPlugins...),
		"MutatingAdmissionPolicy", "MutatingAdmissionWebhook", "ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook")
	if !slices.Equal(a.RecommendedPluginOrder, want) {
		t.Errorf("RecommendedPluginOrder = %v, want %v", a.RecommendedPluginOrder, want)
	}
	if errs := a.Validate(); len(errs) > 0 {
		t.Errorf("Validate: %v", errs)
	}
	for _, name := range catalogPlugins {
		if a.DefaultOffPlugins.Has(name) {
			t.Errorf("%s is off by default", name)
		}
	}
}

func TestAdmissionFlagHelpListsCatalogPlugins(t *testing.T) {
	fss := NewOptions().Flags()
	usage := fss.FlagSet("admission").Lookup("enable-admission-plugins").Usage
	for _, name := range catalogPlugins {
		if !strings.Contains(usage, name) {
			t.Errorf("--enable-admission-plugins help does not list %s: %s", name, usage)
		}
	}
}

func standaloneOptions(t *testing.T) *Options {
	t.Helper()
	o := NewOptions()
	o.Standalone.Enabled = true
	o.EmbeddedEtcd.DataDir = t.TempDir()
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestStandaloneAdmission(t *testing.T) {
	o := standaloneOptions(t)
	a := o.RecommendedOptions.Admission
	// SecretAccessCheck, ServiceInstanceSharing, AdoptionCheck and
	// ClusterServiceBrokerVisibility need the Kubernetes API.
	want := slices.DeleteFunc(slices.Clone(catalogPlugins), func(name string) bool {
		return name == secretaccess.PluginName || name == instancesharing.PluginName || name == adoption.PluginName || name == brokervisibility.PluginName
	})
	if !slices.Equal(a.RecommendedPluginOrder, want) {
		t.Errorf("RecommendedPluginOrder = %v, want %v", a.RecommendedPluginOrder, want)
	}
	if registered := a.Plugins.Registered(); !slices.Equal(registered, slices.Sorted(slices.Values(want))) {
		t.Errorf("registered plugins = %v, want %v", registered, want)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}

	for flag, set := range map[string]func(*genericoptions.AdmissionOptions){
		"NamespaceLifecycle":            func(a *genericoptions.AdmissionOptions) { a.EnablePlugins = []string{"NamespaceLifecycle"} },
		"SecretAccessCheck":             func(a *genericoptions.AdmissionOptions) { a.EnablePlugins = []string{secretaccess.PluginName} },
		"admission-control-config-file": func(a *genericoptions.AdmissionOptions) { a.ConfigFile = "admission.yaml" },
	} {
		t.Run(flag, func(t *testing.T) {
			o := standaloneOptions(t)
			set(o.RecommendedOptions.Admission)
			if err := o.Validate(); err == nil || !strings.Contains(err.Error(), flag) {
				t.Errorf("Validate: %v, want an error about %s", err, flag)
			}
		})
	}
}

func TestStandaloneAdmissionChain(t *testing.T) {
	o := standaloneOptions(t)
	o.RecommendedOptions.Admission.DisablePlugins = []string{bindinglifecycle.PluginName}
	if got, want := enabledPlugins(o.RecommendedOptions.Admission), []string{defaultplan.PluginName, planchange.PluginName, platformfeatures.PluginName, pendingchange.PluginName, externalid.PluginName, parameterschema.PluginName}; !slices.Equal(got, want) {
		t.Errorf("enabled plugins = %v, want %v", got, want)
	}
	client := fake.NewClientset()
	f := informers.NewSharedInformerFactory(client, 0)
	var cfg genericapiserver.Config
	if err := applyStandaloneAdmission(o.RecommendedOptions.Admission, &cfg, initializer.New(initializer.NewCatalogReader(f, client, &initializer.StoredInstances{}))); err != nil {
		t.Fatal(err)
	}
	if cfg.AdmissionControl == nil {
		t.Fatal("no admission chain")
	}
	for op, want := range map[admission.Operation]bool{admission.Create: true, admission.Update: true, admission.Delete: false} {
		if got := cfg.AdmissionControl.Handles(op); got != want {
			t.Errorf("Handles(%s) = %v, want %v", op, got, want)
		}
	}
	// Without the informers the plugins do not initialize.
	if err := applyStandaloneAdmission(o.RecommendedOptions.Admission, &cfg); err == nil {
		t.Error("the chain was built without informers")
	}
}

// wantsKube is an admission plugin that calls the Kubernetes API.
type wantsKube struct {
	admission.Interface
	client kubernetes.Interface
}

func (w *wantsKube) SetExternalKubeClientSet(c kubernetes.Interface) { w.client = c }
func (w *wantsKube) ValidateInitialization() error                   { return nil }

// The plugins that ask the Kubernetes API on every write get a client that does not
// throttle writes at client-go's default of 5 requests per second.
func TestAdmissionPluginsCallTheKubernetesAPIAtAHigherRate(t *testing.T) {
	var r admissionReaders
	cfg := &genericapiserver.RecommendedConfig{}
	cfg.LoopbackClientConfig = &rest.Config{Host: "https://127.0.0.1:1"}
	cfg.ClientConfig = &rest.Config{Host: "https://127.0.0.1:2"}
	initializers, err := r.initializers(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := &wantsKube{}
	admission.PluginInitializers(initializers).Initialize(p)
	cs, ok := p.client.(*kubernetes.Clientset)
	if !ok {
		t.Fatalf("the plugin got client %T", p.client)
	}
	if qps := cs.CoreV1().RESTClient().GetRateLimiter().QPS(); qps != admissionKubeQPS {
		t.Errorf("the plugin's client sends %v requests per second, want %v", qps, admissionKubeQPS)
	}
}
