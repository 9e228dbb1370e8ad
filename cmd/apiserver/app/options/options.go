// Package options holds the flags of the catalog API server and turns them into its
// configuration.
package options

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	cliflag "k8s.io/component-base/cli/flag"
	netutils "k8s.io/utils/net"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/apiserver"
	"github.com/kube-service-catalog/catalog/pkg/authorization/nameless"
	"github.com/kube-service-catalog/catalog/pkg/embeddedetcd"
	generatedopenapi "github.com/kube-service-catalog/catalog/pkg/generated/openapi"
)

// defaultEtcdPathPrefix is where the catalog's objects live in etcd.
const defaultEtcdPathPrefix = "/registry"

// Options are the flags of the catalog API server.
type Options struct {
	// RecommendedOptions are the generic API server's flags: etcd, serving, delegated
	// authentication and authorization, admission, audit, features.
	RecommendedOptions *genericoptions.RecommendedOptions
	// ServerRun are the generic limits: in-flight requests, request timeouts, shutdown.
	ServerRun *genericoptions.ServerRunOptions
	// EmbeddedEtcd configures the etcd run inside the server when no --etcd-servers is given.
	EmbeddedEtcd EmbeddedEtcdOptions
	// Standalone replaces delegated authentication with a local admin credential.
	Standalone StandaloneOptions
	// AlternateDNS are extra DNS names for the self-signed serving certificate.
	AlternateDNS []string
}

// EmbeddedEtcdOptions configure the etcd run inside the server.
type EmbeddedEtcdOptions struct {
	// DataDir holds the embedded etcd's data.
	DataDir string
	// UnsafeNoFsync skips fsync; for tests only.
	UnsafeNoFsync bool
	// QuotaBackendBytes is the size the embedded etcd's file may reach; zero
	// keeps etcd's default (2 GiB).
	QuotaBackendBytes int64
}

// NewOptions returns the defaults: embedded etcd under _output/, delegated authentication.
func NewOptions() *Options {
	o := &Options{
		RecommendedOptions: genericoptions.NewRecommendedOptions(defaultEtcdPathPrefix,
			apiserver.Codecs.LegacyCodec(v1beta1.SchemeGroupVersion)),
		ServerRun:    genericoptions.NewServerRunOptions(),
		EmbeddedEtcd: EmbeddedEtcdOptions{DataDir: "_output/local/etcd"},
		Standalone:   StandaloneOptions{KubeconfigPath: "_output/local/catalog.kubeconfig"},
	}
	// Registered here rather than in Complete so that the flag help lists them.
	addAdmissionPlugins(o.RecommendedOptions.Admission, false)
	// Open watches (kube-controller-manager keeps some) would otherwise hold a shutdown
	// for the whole request timeout.
	o.ServerRun.ShutdownWatchTerminationGracePeriod = 5 * time.Second
	o.RecommendedOptions.SecureServing.BindAddress = netutils.ParseIPSloppy("127.0.0.1")
	o.RecommendedOptions.SecureServing.BindPort = 8443
	// The self-signed certificate is kept in memory unless a directory is given.
	o.RecommendedOptions.SecureServing.ServerCert.CertDirectory = ""
	// Objects are stored in protobuf, as kube-apiserver stores its own: smaller and
	// cheaper to decode than JSON. Objects stored earlier in JSON still read; each is
	// rewritten in protobuf when next written.
	o.RecommendedOptions.Etcd.DefaultStorageMediaType = runtime.ContentTypeProtobuf
	return o
}

// Flags returns the flags in named sections, as kubectl-style help prints them.
func (o *Options) Flags() cliflag.NamedFlagSets {
	var fss cliflag.NamedFlagSets
	r := o.RecommendedOptions
	o.ServerRun.AddUniversalFlags(fss.FlagSet("generic"))
	r.Etcd.AddFlags(fss.FlagSet("etcd"))
	fs := fss.FlagSet("embedded etcd")
	fs.StringVar(&o.EmbeddedEtcd.DataDir, "etcd-data-dir", o.EmbeddedEtcd.DataDir,
		"Directory of the etcd run inside the server when --etcd-servers is not given. Data survives restarts.")
	fs.Int64Var(&o.EmbeddedEtcd.QuotaBackendBytes, "etcd-quota-backend-bytes", o.EmbeddedEtcd.QuotaBackendBytes,
		"Size in bytes the embedded etcd's file may reach before it refuses writes; 0 keeps etcd's default of 2 GiB, "+
			"8 GiB is etcd's suggested maximum. Ignored with --etcd-servers.")
	r.SecureServing.AddFlags(fss.FlagSet("secure serving"))
	fs = fss.FlagSet("secure serving")
	fs.StringSliceVar(&o.AlternateDNS, "alternate-dns", o.AlternateDNS,
		"Extra DNS names for the self-signed serving certificate made when no certificate is given.")
	r.Authentication.AddFlags(fss.FlagSet("authentication"))
	r.Authorization.AddFlags(fss.FlagSet("authorization"))
	o.Standalone.AddFlags(fss.FlagSet("standalone"))
	r.CoreAPI.AddFlags(fss.FlagSet("kubernetes API"))
	r.Admission.AddFlags(fss.FlagSet("admission"))
	r.Audit.AddFlags(fss.FlagSet("audit"))
	r.Features.AddFlags(fss.FlagSet("features"))
	// --feature-gates, for the generic server's gates (CBORServingAndStorage among them).
	utilfeature.DefaultMutableFeatureGate.AddFlag(fss.FlagSet("features"))
	r.EgressSelector.AddFlags(fss.FlagSet("egress selector"))
	r.Traces.AddFlags(fss.FlagSet("traces"))
	return fss
}

// Complete adjusts the options to the chosen mode. Standalone mode has no Kubernetes API
// to delegate to, so it turns off what needs one; admission keeps only the catalog's
// plugins that need none.
func (o *Options) Complete() error {
	if err := o.ServerRun.Complete(); err != nil {
		return err
	}
	codec, err := storageCodec(o.RecommendedOptions.Etcd.DefaultStorageMediaType)
	if err != nil {
		return err
	}
	o.RecommendedOptions.Etcd.StorageConfig.Codec = codec
	if o.Standalone.Enabled {
		r := o.RecommendedOptions
		r.Authentication = nil
		r.Authorization = nil
		r.CoreAPI = nil
		standaloneAdmission(r.Admission)
		r.Features.EnablePriorityAndFairness = false
	}
	return nil
}

// storageCodec writes objects to etcd as v1beta1 in mediaType (--storage-media-type) and
// reads them in any of the media types the server knows, so that objects written before
// the media type changed still read.
func storageCodec(mediaType string) (runtime.Codec, error) {
	codecs := apiserver.ServingCodecs()
	supported := codecs.SupportedMediaTypes()
	info, ok := runtime.SerializerInfoForMediaType(supported, mediaType)
	if !ok {
		var known []string
		for _, s := range supported {
			known = append(known, s.MediaType)
		}
		return nil, fmt.Errorf("--storage-media-type: %q is not one of %s", mediaType, strings.Join(known, ", "))
	}
	return codecs.CodecForVersions(info.Serializer, codecs.UniversalDeserializer(),
		v1beta1.SchemeGroupVersion, runtime.InternalGroupVersioner), nil
}

// Validate reports every invalid flag at once.
func (o *Options) Validate() error {
	r := o.RecommendedOptions
	var errs []error
	etcd := *r.Etcd
	if etcd.DefaultStorageMediaType == runtime.ContentTypeCBOR {
		// The generic options know JSON, YAML and protobuf only; Complete has made sure
		// that CBOR is served (its feature gate is on).
		etcd.DefaultStorageMediaType = runtime.ContentTypeJSON
	}
	if o.embeddedEtcd() {
		if o.EmbeddedEtcd.DataDir == "" {
			errs = append(errs, fmt.Errorf("--etcd-data-dir is required when --etcd-servers is not given"))
		}
		if o.EmbeddedEtcd.QuotaBackendBytes < 0 {
			errs = append(errs, fmt.Errorf("--etcd-quota-backend-bytes must be 0 (etcd's default) or more, not %d", o.EmbeddedEtcd.QuotaBackendBytes))
		}
		// The embedded etcd's URL is known only once it runs.
		etcd.StorageConfig.Transport.ServerList = []string{"http://127.0.0.1"}
	}
	errs = append(errs, o.ServerRun.Validate()...)
	errs = append(errs, etcd.Validate()...)
	errs = append(errs, r.SecureServing.Validate()...)
	errs = append(errs, r.Authentication.Validate()...)
	errs = append(errs, r.Authorization.Validate()...)
	errs = append(errs, r.Audit.Validate()...)
	errs = append(errs, r.Features.Validate()...)
	errs = append(errs, r.CoreAPI.Validate()...)
	errs = append(errs, r.Admission.Validate()...)
	errs = append(errs, r.EgressSelector.Validate()...)
	errs = append(errs, r.Traces.Validate()...)
	errs = append(errs, o.Standalone.Validate()...)
	if o.Standalone.Enabled && r.Admission.ConfigFile != "" {
		errs = append(errs, fmt.Errorf("--admission-control-config-file is not supported with --standalone: its plugins take no configuration"))
	}
	return utilerrors.NewAggregate(errs)
}

func (o *Options) embeddedEtcd() bool {
	return len(o.RecommendedOptions.Etcd.StorageConfig.Transport.ServerList) == 0
}

// Config builds the server configuration. With no --etcd-servers it starts the embedded
// etcd first; the returned stop function stops it and must be called once the server is
// done.
func (o *Options) Config(ctx context.Context) (_ *apiserver.Config, stop func(), err error) {
	stop = func() {}
	defer func() {
		if err != nil {
			stop()
			stop = func() {}
		}
	}()
	if err := o.prepareServing(); err != nil {
		return nil, stop, err
	}
	if o.embeddedEtcd() {
		stopEtcd, err := o.startEmbeddedEtcd(ctx)
		if err != nil {
			return nil, stop, err
		}
		stop = stopEtcd
	}
	cfg := newRecommendedConfig()
	if err := o.ServerRun.DefaultAdvertiseAddress(o.RecommendedOptions.SecureServing.SecureServingOptions); err != nil {
		return nil, stop, err
	}
	if err := o.ServerRun.ApplyTo(&cfg.Config); err != nil {
		return nil, stop, err
	}
	var readers admissionReaders
	if err := o.applyGeneric(cfg, &readers); err != nil {
		return nil, stop, err
	}
	if o.Standalone.Enabled {
		if err := o.applyStandalone(cfg, &readers); err != nil {
			return nil, stop, err
		}
	}
	return &apiserver.Config{GenericConfig: cfg, AdmissionInformers: readers.informers, AdmissionInstances: &readers.instances}, stop, nil
}

// prepareServing binds the listener when no port is chosen, so that the self-signed
// certificate and the standalone kubeconfig know the port, and makes a self-signed
// certificate when none is given.
func (o *Options) prepareServing() error {
	serving := o.RecommendedOptions.SecureServing
	if serving.Listener == nil && serving.BindPort == 0 {
		l, port, err := genericoptions.CreateListener("tcp", net.JoinHostPort(serving.BindAddress.String(), "0"), net.ListenConfig{})
		if err != nil {
			return err
		}
		serving.Listener, serving.BindPort = l, port
	}
	if err := serving.MaybeDefaultWithSelfSignedCerts("localhost", o.AlternateDNS, []net.IP{netutils.ParseIPSloppy("127.0.0.1")}); err != nil {
		return fmt.Errorf("creating a self-signed certificate: %w", err)
	}
	return nil
}

// startEmbeddedEtcd starts the etcd run inside the server and points the storage at it.
// The returned function stops it.
func (o *Options) startEmbeddedEtcd(ctx context.Context) (stop func(), err error) {
	etcd, err := embeddedetcd.Start(ctx, embeddedetcd.Options{
		DataDir:           o.EmbeddedEtcd.DataDir,
		UnsafeNoFsync:     o.EmbeddedEtcd.UnsafeNoFsync,
		QuotaBackendBytes: o.EmbeddedEtcd.QuotaBackendBytes,
	})
	if err != nil {
		return nil, err
	}
	o.RecommendedOptions.Etcd.StorageConfig.Transport.ServerList = []string{etcd.ClientURL}
	return etcd.Stop, nil
}

// newRecommendedConfig returns the generic server configuration with the catalog's
// OpenAPI documents.
func newRecommendedConfig() *genericapiserver.RecommendedConfig {
	cfg := genericapiserver.NewRecommendedConfig(apiserver.ServingCodecs())
	namer := openapi.NewDefinitionNamer(apiserver.Scheme)
	cfg.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(generatedopenapi.GetOpenAPIDefinitions, namer)
	cfg.OpenAPIConfig.Info.Title = "Service Catalog"
	cfg.OpenAPIConfig.Info.Version = v1beta1.SchemeGroupVersion.Version
	cfg.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(generatedopenapi.GetOpenAPIDefinitions, namer)
	cfg.OpenAPIV3Config.Info.Title = "Service Catalog"
	cfg.OpenAPIV3Config.Info.Version = v1beta1.SchemeGroupVersion.Version
	return cfg
}

// applyGeneric applies the generic server options, with the catalog's admission plugins
// reading through readers. In standalone mode it leaves admission to applyStandalone: the
// generic chain needs a Kubernetes API.
func (o *Options) applyGeneric(cfg *genericapiserver.RecommendedConfig, readers *admissionReaders) error {
	generic := *o.RecommendedOptions
	generic.ExtraAdmissionInitializers = readers.initializers
	if o.Standalone.Enabled {
		generic.Admission = nil
	}
	if err := generic.ApplyTo(cfg); err != nil {
		return err
	}
	if generic.Authorization != nil {
		// The delegated authorizer is a union of the always-allowed groups, the
		// always-allowed paths and the SubjectAccessReview webhook. Wrapping the whole
		// union is the same as wrapping the webhook alone: the groups answer by the user
		// only, so the same with or without a name, and the paths answer non-resource
		// requests only, which the wrapper passes through untouched. The loopback
		// client's group is added in front of this authorizer when the config completes.
		cfg.Authorization.Authorizer = nameless.New(cfg.Authorization.Authorizer)
	}
	return nil
}

// applyStandalone installs the local admin credential, its kubeconfig, and the admission
// chain of the catalog's plugins that need no Kubernetes API.
func (o *Options) applyStandalone(cfg *genericapiserver.RecommendedConfig, readers *admissionReaders) error {
	serving := o.RecommendedOptions.SecureServing
	url := "https://" + net.JoinHostPort(serving.BindAddress.String(), strconv.Itoa(serving.BindPort))
	caPEM, err := servingCertificate(serving)
	if err != nil {
		return err
	}
	if err := o.Standalone.ApplyTo(&cfg.Config, url, caPEM); err != nil {
		return err
	}
	return applyStandaloneAdmission(o.RecommendedOptions.Admission, &cfg.Config, readers.initializer)
}

// servingCertificate returns the PEM of the serving certificate chain, which clients of
// the standalone server trust.
func servingCertificate(serving *genericoptions.SecureServingOptionsWithLoopback) ([]byte, error) {
	if serving.ServerCert.GeneratedCert != nil {
		cert, _ := serving.ServerCert.GeneratedCert.CurrentCertKeyContent()
		return cert, nil
	}
	return os.ReadFile(serving.ServerCert.CertKey.CertFile)
}
