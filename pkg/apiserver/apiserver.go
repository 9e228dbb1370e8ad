// Package apiserver assembles the catalog's API server: the scheme, and the
// servicecatalog.k8s.io group with the storage of each resource.
package apiserver

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/runtime/serializer/cbor"
	"k8s.io/apiserver/pkg/features"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/healthz"
	utilfeature "k8s.io/apiserver/pkg/util/feature"

	"github.com/kube-service-catalog/catalog/pkg/admission/initializer"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	informers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
	brokercatalogstorage "github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/brokercatalog/storage"
	bindingstorage "github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/servicebinding/storage"
	instancestorage "github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/serviceinstance/storage"
)

var (
	// Scheme knows every type the server serves.
	Scheme = runtime.NewScheme()
	// Codecs encode and decode the served types in JSON, YAML and protobuf.
	Codecs = serializer.NewCodecFactory(Scheme)
	// codecsWithCBOR are Codecs and CBOR.
	codecsWithCBOR = serializer.NewCodecFactory(Scheme, serializer.WithSerializer(cbor.NewSerializerInfo))
)

// ServingCodecs returns the codecs the server serves and stores with: Codecs, and CBOR
// as well when the CBORServingAndStorage feature gate is on (--feature-gates).
func ServingCodecs() serializer.CodecFactory {
	if utilfeature.DefaultFeatureGate.Enabled(features.CBORServingAndStorage) {
		return codecsWithCBOR
	}
	return Codecs
}

func init() {
	install.Install(Scheme)
	// Options types such as ListOptions are registered in the unversioned "v1" group.
	metav1.AddToGroupVersion(Scheme, schema.GroupVersion{Version: "v1"})
	unversioned := schema.GroupVersion{Group: "", Version: "v1"}
	Scheme.AddUnversionedTypes(unversioned,
		&metav1.Status{},
		&metav1.APIVersions{},
		&metav1.APIGroupList{},
		&metav1.APIGroup{},
		&metav1.APIResourceList{},
	)
}

// Config is the configuration of the catalog API server.
type Config struct {
	// GenericConfig configures the generic API server machinery.
	GenericConfig *genericapiserver.RecommendedConfig
	// AdmissionInformers, if set, are the catalog informers the admission plugins read,
	// on the loopback client. The server starts them once it runs and is not ready
	// before they have synced.
	AdmissionInformers informers.SharedInformerFactory
	// AdmissionInstances, if set, is where the admission plugins read single instances;
	// New points it at the ServiceInstance storage.
	AdmissionInstances *initializer.StoredInstances
}

type completedConfig struct {
	GenericConfig      genericapiserver.CompletedConfig
	AdmissionInformers informers.SharedInformerFactory
	AdmissionInstances *initializer.StoredInstances
}

// CompletedConfig is a Config with every default filled in; only Complete makes one.
type CompletedConfig struct {
	*completedConfig
}

// Server is the catalog API server.
type Server struct {
	// GenericAPIServer serves the API.
	GenericAPIServer *genericapiserver.GenericAPIServer
}

// Complete fills in the defaults of the configuration.
func (c *Config) Complete() CompletedConfig {
	c.GenericConfig.BuildHandlerChainFunc = withGates(c.GenericConfig.BuildHandlerChainFunc)
	return CompletedConfig{&completedConfig{
		GenericConfig:      c.GenericConfig.Complete(),
		AdmissionInformers: c.AdmissionInformers,
		AdmissionInstances: c.AdmissionInstances,
	}}
}

// New builds the server and installs the servicecatalog.k8s.io group.
func (c CompletedConfig) New() (*Server, error) {
	generic, err := c.GenericConfig.New("service-catalog-apiserver", genericapiserver.NewEmptyDelegate())
	if err != nil {
		return nil, err
	}
	storage, err := c.storage()
	if err != nil {
		return nil, err
	}
	group := genericapiserver.NewDefaultAPIGroupInfo(sc.GroupName, Scheme, metav1.ParameterCodec, ServingCodecs())
	group.VersionedResourcesStorageMap[v1beta1.SchemeGroupVersion.Version] = storage
	if err := generic.InstallAPIGroup(&group); err != nil {
		return nil, err
	}
	if c.AdmissionInstances != nil {
		c.AdmissionInstances.SetStorage(storage["serviceinstances"].(rest.Getter))
	}
	if err := c.startAdmissionInformers(generic); err != nil {
		return nil, err
	}
	if loaded := frontProxyTrusted(c.GenericConfig.Config); loaded != nil {
		if err := generic.AddReadyzChecks(authenticationCheck(loaded)); err != nil {
			return nil, err
		}
	}
	return &Server{GenericAPIServer: generic}, nil
}

// startAdmissionInformers starts the admission plugins' informers once the server runs
// (they list and watch the server itself) and keeps /readyz failing until they synced,
// since the plugins refuse requests before.
func (c CompletedConfig) startAdmissionInformers(generic *genericapiserver.GenericAPIServer) error {
	f := c.AdmissionInformers
	if f == nil {
		return nil
	}
	err := generic.AddPostStartHook("start-catalog-admission-informers", func(ctx genericapiserver.PostStartHookContext) error {
		f.Start(ctx.Done())
		return nil
	})
	if err != nil {
		return err
	}
	synced := healthz.NewInformerSyncHealthz(f)
	return generic.AddReadyzChecks(healthz.NamedCheck("catalog-admission-informer-sync", synced.Check))
}

// storage builds the storage of every resource and its status subresource.
func (c CompletedConfig) storage() (map[string]rest.Storage, error) {
	getter := c.GenericConfig.RESTOptionsGetter
	// Brokers, classes and plans of both scopes, and their status subresources.
	storage, err := brokercatalogstorage.NewREST(Scheme, getter)
	if err != nil {
		return nil, err
	}

	instances, instanceSubresources, err := instancestorage.NewREST(Scheme, getter)
	if err != nil {
		return nil, err
	}
	addResource(storage, "serviceinstances", instances, instanceSubresources)

	bindings, bindingSubresources, err := bindingstorage.NewREST(Scheme, getter)
	if err != nil {
		return nil, err
	}
	addResource(storage, "servicebindings", bindings, bindingSubresources)
	return storage, nil
}

// addResource adds a resource and its subresources to storage.
func addResource(storage map[string]rest.Storage, resource string, main rest.Storage, subresources map[string]rest.Storage) {
	storage[resource] = main
	for name, sub := range subresources {
		storage[resource+"/"+name] = sub
	}
}
