package options

import (
	"fmt"
	"net"
	"slices"

	apiserveroptions "k8s.io/apiserver/pkg/server/options"
	cliflag "k8s.io/component-base/cli/flag"
	netutils "k8s.io/utils/net"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app/config"
)

// DefaultSecurePort is the HTTPS port of /healthz, /readyz, /livez and /metrics.
const DefaultSecurePort = 8444

// openPaths are served to anyone, as the kubelet probes them without credentials.
var openPaths = []string{"/healthz", "/readyz", "/livez"}

// OpenPaths returns the paths served to anyone: /healthz, /readyz and /livez.
func OpenPaths() []string { return slices.Clone(openPaths) }

// ServingOptions are the flags of the endpoints the controller-manager serves: HTTPS with
// authentication and authorization delegated to kube-apiserver, the way Kubernetes
// components serve them, and optionally plain HTTP on a loopback address.
type ServingOptions struct {
	// Secure serves over HTTPS (--secure-port, --bind-address, --cert-dir, --tls-*);
	// port 0 serves nothing.
	Secure *apiserveroptions.SecureServingOptions
	// Authentication checks who calls, through TokenReview and the cluster's client CA
	// (--authentication-*); it defaults to the controller-manager's own kubeconfig.
	Authentication *apiserveroptions.DelegatingAuthenticationOptions
	// Authorization asks kube-apiserver whether the caller may (--authorization-*);
	// /healthz, /readyz and /livez are open.
	Authorization *apiserveroptions.DelegatingAuthorizationOptions
	// HealthAddress serves the same endpoints over plain HTTP without authentication
	// (--health-address); it must be a loopback address.
	HealthAddress string
}

// NewServingOptions returns the defaults: HTTPS on every address, port 8444, with a
// self-signed certificate kept in memory unless --cert-dir or --tls-cert-file say
// otherwise, and no plain HTTP.
func NewServingOptions() *ServingOptions {
	secure := apiserveroptions.NewSecureServingOptions()
	secure.BindPort = DefaultSecurePort
	secure.ServerCert.CertDirectory = ""
	secure.ServerCert.PairName = "catalog-controller-manager"
	authn := apiserveroptions.NewDelegatingAuthenticationOptions()
	authn.RemoteKubeConfigFileOptional = true
	authz := apiserveroptions.NewDelegatingAuthorizationOptions()
	authz.AlwaysAllowPaths = openPaths
	authz.RemoteKubeConfigFileOptional = true
	return &ServingOptions{Secure: secure, Authentication: authn, Authorization: authz}
}

// AddFlags adds the serving flags to fss.
func (o *ServingOptions) AddFlags(fss *cliflag.NamedFlagSets) {
	o.Secure.AddFlags(fss.FlagSet("secure serving"))
	authn, authz := fss.FlagSet("authentication"), fss.FlagSet("authorization")
	o.Authentication.AddFlags(authn)
	o.Authorization.AddFlags(authz)
	authn.Lookup("authentication-kubeconfig").Usage = "Kubeconfig of kube-apiserver, allowed to create tokenreviews and to read kube-system/extension-apiserver-authentication. Empty means --core-kubeconfig, or --kubeconfig, or in-cluster."
	authz.Lookup("authorization-kubeconfig").Usage = "Kubeconfig of kube-apiserver, allowed to create subjectaccessreviews. Empty means --core-kubeconfig, or --kubeconfig, or in-cluster."
	fs := fss.FlagSet("health and metrics")
	fs.StringVar(&o.HealthAddress, "health-address", o.HealthAddress,
		"Loopback address, such as 127.0.0.1:8080, also serving /healthz, /readyz, /livez and /metrics over plain HTTP without authentication; empty serves nothing.")
}

// Validate reports every invalid serving flag.
func (o *ServingOptions) Validate() []error {
	errs := o.Secure.Validate()
	errs = append(errs, o.Authentication.Validate()...)
	errs = append(errs, o.Authorization.Validate()...)
	if o.HealthAddress != "" && !isLoopback(o.HealthAddress) {
		errs = append(errs, fmt.Errorf("--health-address %q: plain HTTP without authentication is served on a loopback address only (such as 127.0.0.1:8080); use --secure-port for others", o.HealthAddress))
	}
	return errs
}

// isLoopback reports whether address is host:port with a loopback host.
func isLoopback(address string) bool {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := netutils.ParseIPSloppy(host)
	return ip != nil && ip.IsLoopback()
}

// ApplyTo fills cfg's serving fields. kubeconfig, the controller-manager's own, reaches
// kube-apiserver for TokenReviews and SubjectAccessReviews unless the --authentication-
// and --authorization-kubeconfig flags name another.
func (o *ServingOptions) ApplyTo(cfg *config.Config, kubeconfig string) error {
	cfg.HealthAddress = o.HealthAddress
	if err := o.Secure.MaybeDefaultWithSelfSignedCerts("localhost", nil, []net.IP{netutils.ParseIPSloppy("127.0.0.1")}); err != nil {
		return fmt.Errorf("serving certificate: %w", err)
	}
	if err := o.Secure.ApplyTo(&cfg.SecureServing); err != nil {
		return err
	}
	if cfg.SecureServing == nil {
		return nil
	}
	if o.Authentication.RemoteKubeConfigFile == "" {
		o.Authentication.RemoteKubeConfigFile = kubeconfig
	}
	if o.Authorization.RemoteKubeConfigFile == "" {
		o.Authorization.RemoteKubeConfigFile = kubeconfig
	}
	if err := o.Authentication.ApplyTo(&cfg.Authentication, cfg.SecureServing, nil); err != nil {
		return fmt.Errorf("delegated authentication: %w", err)
	}
	if err := o.Authorization.ApplyTo(&cfg.Authorization); err != nil {
		return fmt.Errorf("delegated authorization: %w", err)
	}
	return nil
}
