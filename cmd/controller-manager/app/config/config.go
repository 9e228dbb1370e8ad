// Package config is the configuration of the catalog controller-manager, built from its
// flags or, in tests, directly.
package config

import (
	"time"

	"k8s.io/apiserver/pkg/server"

	"k8s.io/client-go/rest"
	componentbaseconfig "k8s.io/component-base/config"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Controller names, for --controllers.
const (
	BrokerController   = "broker"
	InstanceController = "serviceinstance"
	BindingController  = "servicebinding"
)

// AllControllers lists every control loop, in start order.
var AllControllers = []string{BrokerController, InstanceController, BindingController}

// Config is everything the controller-manager runs with; tests build one directly.
type Config struct {
	// CatalogConfig reaches the servicecatalog.k8s.io API.
	CatalogConfig *rest.Config
	// CoreConfig reaches the Kubernetes core API: Secrets, Namespaces, Events, Leases.
	CoreConfig *rest.Config
	// Controllers are the loops to run.
	Controllers []string
	// Workers is the number of objects each loop syncs in parallel, by loop name.
	Workers map[string]int
	// ResyncPeriod is the informers' resync period.
	ResyncPeriod time.Duration

	// OSB configures the talk to brokers.
	OSB OSBConfig
	// Retry spaces out the attempts of failed broker calls.
	RetryBackoffBase, RetryBackoffMax time.Duration
	// PollIntervalMin and PollIntervalMax bound the wait between polls of an
	// asynchronous operation when the broker sends no Retry-After.
	PollIntervalMin, PollIntervalMax time.Duration
	// MaxPollingDuration ends polling, or sooner when the plan's maximum_polling_duration
	// is shorter.
	MaxPollingDuration time.Duration
	// DeleteRetryWindow is how long a refused deprovision or unbind is tried again.
	DeleteRetryWindow time.Duration
	// BrokerCheckPeriod is how often Ready objects are checked with their brokers; 0: never.
	BrokerCheckPeriod time.Duration
	// RotationOverlap is how long rotated credentials stay valid.
	RotationOverlap time.Duration
	// DefaultRelistDuration is the catalog relist period of brokers that set none.
	DefaultRelistDuration time.Duration

	// ClusterIDNamespace and ClusterIDConfigMap name the ConfigMap holding the cluster ID
	// sent to brokers; it is created when missing.
	ClusterIDNamespace, ClusterIDConfigMap string

	// LeaderElection configures leader election on a Lease.
	LeaderElection componentbaseconfig.LeaderElectionConfiguration
	// SecureServing serves /healthz, /readyz, /livez and /metrics over HTTPS; nil serves
	// nothing.
	SecureServing *server.SecureServingInfo
	// Authentication and Authorization guard SecureServing; /healthz, /readyz and /livez
	// are open.
	Authentication server.AuthenticationInfo
	Authorization  server.AuthorizationInfo
	// HealthAddress serves the same endpoints over plain HTTP on a loopback address;
	// empty serves nothing.
	HealthAddress string
}

// OSBConfig configures the OSB clients.
type OSBConfig struct {
	// Create builds clients; nil means osb.New. Unit tests inject a fake.
	Create osb.CreateFunc
	// APIVersion is sent to brokers whose spec names none.
	APIVersion osb.APIVersion
	// Timeout bounds each broker request.
	Timeout time.Duration
}
