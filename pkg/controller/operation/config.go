package operation

import (
	"time"

	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/clock"

	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/brokerclient"
	"github.com/kube-service-catalog/catalog/pkg/controller/catalogcache"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	informers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions/servicecatalog/v1beta1"
)

// Config holds what a loop built on the engine needs: the instance and binding loops take
// the same.
type Config struct {
	// Client writes catalog objects.
	Client clientset.Interface
	// KubeClient reads the Secrets named by parametersFrom and addKeysFrom, and writes the
	// credentials Secrets of bindings.
	KubeClient kubernetes.Interface
	// Informers of the catalog kinds, with the indexes of package indexes.
	Instances informers.ServiceInstanceInformer
	Bindings  informers.ServiceBindingInformer
	// Catalog reads brokers, classes and plans of both scopes.
	Catalog *catalogcache.Cache
	// Namespaces gives the namespace UID sent as space_guid and bind_resource.app_guid.
	Namespaces coreinformers.NamespaceInformer
	// Secrets, when set, is an informer of the Secrets the binding loop wrote (those with
	// its label), so that a credentials Secret deleted by hand is written again at once.
	Secrets coreinformers.SecretInformer
	// BrokerClients builds OSB clients.
	BrokerClients *brokerclient.Manager
	// ClusterID identifies the cluster to brokers (context clusterid, organization_guid).
	ClusterID string
	// Recorder records events.
	Recorder record.EventRecorder
	// Backoff spaces out the attempts of failed broker calls.
	Backoff controller.Backoff
	// Polling paces the polls of asynchronous operations.
	Polling controller.Polling
	// Clock tells the time; the real clock when nil.
	Clock clock.PassiveClock
	// DeleteRetryWindow is how long a delete the broker refuses is tried again before the
	// controller gives up and says what to do; zero tries for ever.
	DeleteRetryWindow time.Duration
	// SecretsCheckPeriod is how often the Secrets an instance's parametersFrom names are
	// read again, to send changed values to the broker; zero means
	// DefaultSecretsCheckPeriod.
	SecretsCheckPeriod time.Duration
	// BrokerCheckPeriod is how often a Ready object of an offering that can be fetched is
	// checked with its broker (GET instance, GET binding); zero turns the checks off.
	BrokerCheckPeriod time.Duration
	// RotationOverlap is how long the credentials a rotation replaced stay valid before
	// their binding is unbound; DefaultRotationOverlap when zero.
	RotationOverlap time.Duration
	// RequestRelist, when set, asks the broker loop to fetch a broker's catalog again
	// soon: the broker said (422 MaintenanceInfoConflict) that the catalog changed. It
	// takes the broker's catalog.Key.
	RequestRelist func(broker string)
}

// DefaultRotationOverlap is how long rotated credentials stay valid.
const DefaultRotationOverlap = 10 * time.Minute

// DefaultBrokerCheckPeriod is how often Ready objects are checked with their brokers.
const DefaultBrokerCheckPeriod = time.Hour

// DefaultSecretsCheckPeriod is how often parametersFrom Secrets are read again.
const DefaultSecretsCheckPeriod = 5 * time.Minute

// DefaultDeleteRetryWindow is the retry window of deletes the broker refuses.
const DefaultDeleteRetryWindow = 24 * time.Hour

// Complete returns the config with its defaults filled in.
func (c Config) Complete() Config {
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	if c.RotationOverlap <= 0 {
		c.RotationOverlap = DefaultRotationOverlap
	}
	if c.SecretsCheckPeriod <= 0 {
		c.SecretsCheckPeriod = DefaultSecretsCheckPeriod
	}
	return c
}

// Synced are the informers a loop waits for before its first sync.
func (c Config) Synced() []cache.InformerSynced {
	synced := append([]cache.InformerSynced{
		c.Instances.Informer().HasSynced, c.Bindings.Informer().HasSynced, c.Namespaces.Informer().HasSynced,
	}, c.Catalog.Synced()...)
	if c.Secrets != nil {
		synced = append(synced, c.Secrets.Informer().HasSynced)
	}
	return synced
}
