// Package options holds the flags of the catalog controller-manager.
package options

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	cliflag "k8s.io/component-base/cli/flag"
	componentbaseconfig "k8s.io/component-base/config"
	configoptions "k8s.io/component-base/config/options"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app/config"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Options are the controller-manager's flags; each field holds the flag named in its
// comment.
type Options struct {
	// Kubeconfig reaches the servicecatalog.k8s.io API (--kubeconfig); empty is in-cluster.
	Kubeconfig string
	// CoreKubeconfig reaches the Kubernetes core API (--core-kubeconfig); empty is Kubeconfig.
	CoreKubeconfig string
	// QPS limits the requests per second to each API (--kube-api-qps).
	QPS float32
	// Burst is the burst of requests allowed to each API (--kube-api-burst).
	Burst int
	// ContentType is the encoding of the requests to both APIs (--kube-api-content-type):
	// protobuf, which both serve, or JSON.
	ContentType string

	// Controllers selects the loops to run (--controllers).
	Controllers []string
	// BrokerWorkers, InstanceWorkers and BindingWorkers are each loop's parallel syncs
	// (--broker-workers, --instance-workers, --binding-workers).
	BrokerWorkers, InstanceWorkers, BindingWorkers int
	// ResyncPeriod is the informers' resync period (--resync-period).
	ResyncPeriod time.Duration

	// OSBAPIVersion is sent to brokers whose spec names none (--osb-api-version).
	OSBAPIVersion string
	// OSBTimeout bounds each broker request (--osb-timeout).
	OSBTimeout time.Duration
	// RetryBackoffBase and RetryBackoffMax space out the attempts of failed broker calls
	// (--retry-backoff-base, --retry-backoff-max).
	RetryBackoffBase, RetryBackoffMax time.Duration
	// PollIntervalMin and PollIntervalMax bound the wait between polls
	// (--poll-interval-min, --poll-interval-max).
	PollIntervalMin, PollIntervalMax time.Duration
	// MaxPollingDuration ends polling, or sooner when the plan's maximum is shorter
	// (--max-polling-duration).
	MaxPollingDuration time.Duration
	// DeleteRetryWindow is how long a deprovision or unbind the broker refuses is tried
	// again before the controller gives up and says what to do; 0 tries for ever
	// (--delete-retry-window).
	DeleteRetryWindow time.Duration
	// BrokerCheckPeriod is how often a Ready instance or binding of an offering that can be
	// fetched is checked with its broker; 0 turns the checks off (--broker-check-period).
	BrokerCheckPeriod time.Duration
	// RotationOverlap is how long rotated credentials stay valid before their binding is
	// unbound (--rotation-overlap).
	RotationOverlap time.Duration
	// DefaultRelistDuration is the relist period of brokers that set none
	// (--default-relist-duration).
	DefaultRelistDuration time.Duration

	// ClusterIDNamespace and ClusterIDConfigMap name the ConfigMap of the cluster ID
	// (--cluster-id-namespace, --cluster-id-configmap).
	ClusterIDNamespace, ClusterIDConfigMap string

	// LeaderElection configures leader election (the --leader-elect flags).
	LeaderElection componentbaseconfig.LeaderElectionConfiguration
	// Serving serves /healthz, /readyz, /livez and /metrics.
	Serving *ServingOptions
}

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{
		QPS:                   500,
		Burst:                 1000,
		ContentType:           runtime.ContentTypeProtobuf,
		Controllers:           []string{"*"},
		BrokerWorkers:         2,
		InstanceWorkers:       32,
		BindingWorkers:        32,
		ResyncPeriod:          10 * time.Minute,
		OSBAPIVersion:         string(osb.DefaultAPIVersion),
		OSBTimeout:            60 * time.Second,
		RetryBackoffBase:      10 * time.Second,
		RetryBackoffMax:       10 * time.Minute,
		PollIntervalMin:       time.Second,
		PollIntervalMax:       time.Minute,
		MaxPollingDuration:    24 * time.Hour,
		DeleteRetryWindow:     operation.DefaultDeleteRetryWindow,
		BrokerCheckPeriod:     operation.DefaultBrokerCheckPeriod,
		RotationOverlap:       operation.DefaultRotationOverlap,
		DefaultRelistDuration: 15 * time.Minute,
		ClusterIDNamespace:    "service-catalog",
		ClusterIDConfigMap:    "cluster-info",
		LeaderElection: componentbaseconfig.LeaderElectionConfiguration{
			LeaderElect:       true,
			LeaseDuration:     metaDuration(15 * time.Second),
			RenewDeadline:     metaDuration(10 * time.Second),
			RetryPeriod:       metaDuration(2 * time.Second),
			ResourceLock:      "leases",
			ResourceName:      "catalog-controller-manager",
			ResourceNamespace: "service-catalog",
		},
		Serving: NewServingOptions(),
	}
}

// Flags returns the flags in named sections.
func (o *Options) Flags() cliflag.NamedFlagSets {
	var fss cliflag.NamedFlagSets
	fs := fss.FlagSet("APIs")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Kubeconfig of the servicecatalog.k8s.io API (through the Kubernetes API server). Empty means in-cluster.")
	fs.StringVar(&o.CoreKubeconfig, "core-kubeconfig", o.CoreKubeconfig, "Kubeconfig of the Kubernetes core API (Secrets, Namespaces, Events, Leases). Empty means --kubeconfig.")
	fs.Float32Var(&o.QPS, "kube-api-qps", o.QPS, "Client-side requests per second allowed towards each API.")
	fs.IntVar(&o.Burst, "kube-api-burst", o.Burst, "Client-side burst of requests allowed towards each API.")
	fs.StringVar(&o.ContentType, "kube-api-content-type", o.ContentType, fmt.Sprintf(
		"Encoding of the requests to both APIs: %s or %s.", runtime.ContentTypeProtobuf, runtime.ContentTypeJSON))

	fs = fss.FlagSet("controllers")
	fs.StringSliceVar(&o.Controllers, "controllers", o.Controllers, fmt.Sprintf(
		"Control loops to run: '*' for all, a name to add one, '-name' to leave one out. Loops: %s.", strings.Join(config.AllControllers, ", ")))
	fs.IntVar(&o.BrokerWorkers, "broker-workers", o.BrokerWorkers, "Brokers synced in parallel.")
	fs.IntVar(&o.InstanceWorkers, "instance-workers", o.InstanceWorkers, "Instances synced in parallel.")
	fs.IntVar(&o.BindingWorkers, "binding-workers", o.BindingWorkers, "Bindings synced in parallel.")
	fs.DurationVar(&o.ResyncPeriod, "resync-period", o.ResyncPeriod, "How often every object is looked at again even if nothing changed.")

	fs = fss.FlagSet("open service broker")
	fs.StringVar(&o.OSBAPIVersion, "osb-api-version", o.OSBAPIVersion, "OSB API version sent to brokers whose spec sets no osbAPIVersion (2.13 to 2.17).")
	fs.DurationVar(&o.OSBTimeout, "osb-timeout", o.OSBTimeout, "Timeout of each request to a broker. A provision or bind that times out is cleaned up at the broker.")
	fs.DurationVar(&o.RetryBackoffBase, "retry-backoff-base", o.RetryBackoffBase, "Wait after the first failed broker call of an operation; it doubles with each further failure.")
	fs.DurationVar(&o.RetryBackoffMax, "retry-backoff-max", o.RetryBackoffMax, "Longest wait between attempts of a failing broker call.")
	fs.DurationVar(&o.PollIntervalMin, "poll-interval-min", o.PollIntervalMin, "Shortest wait between polls of an asynchronous operation when the broker sends no Retry-After.")
	fs.DurationVar(&o.PollIntervalMax, "poll-interval-max", o.PollIntervalMax, "Longest wait between polls of an asynchronous operation when the broker sends no Retry-After.")
	fs.DurationVar(&o.MaxPollingDuration, "max-polling-duration", o.MaxPollingDuration, "How long an asynchronous operation is polled at most; a plan's shorter maximum_polling_duration ends it sooner.")
	fs.DurationVar(&o.RotationOverlap, "rotation-overlap", o.RotationOverlap, "How long the credentials a binding rotation replaced stay valid (their binding at the broker is unbound after it), so that running applications pick up the new ones.")
	fs.DurationVar(&o.BrokerCheckPeriod, "broker-check-period", o.BrokerCheckPeriod, "How often a Ready instance or binding of an instances_retrievable or bindings_retrievable offering is checked with its broker (GET), so that one the broker lost shows BrokerResourceMissing; 0 turns the checks off.")
	fs.DurationVar(&o.DeleteRetryWindow, "delete-retry-window", o.DeleteRetryWindow, "How long a deprovision or unbind the broker refuses is tried again before the controller stops and says what to do; 0 tries for ever.")
	fs.DurationVar(&o.DefaultRelistDuration, "default-relist-duration", o.DefaultRelistDuration, "Catalog relist period of brokers that set no relistDuration.")
	fs.StringVar(&o.ClusterIDNamespace, "cluster-id-namespace", o.ClusterIDNamespace, "Namespace of the ConfigMap holding the cluster ID sent to brokers.")
	fs.StringVar(&o.ClusterIDConfigMap, "cluster-id-configmap", o.ClusterIDConfigMap, "Name of the ConfigMap holding the cluster ID sent to brokers; created when missing.")

	configoptions.BindLeaderElectionFlags(&o.LeaderElection, fss.FlagSet("leader election"))

	o.Serving.AddFlags(&fss)
	return fss
}

// Validate reports every invalid flag at once.
func (o *Options) Validate() error {
	var errs []error
	if _, err := o.controllers(); err != nil {
		errs = append(errs, err)
	}
	if _, err := osb.ParseAPIVersion(o.OSBAPIVersion); err != nil {
		errs = append(errs, fmt.Errorf("--osb-api-version: %w", err))
	}
	for name, d := range map[string]time.Duration{
		"--osb-timeout": o.OSBTimeout, "--retry-backoff-base": o.RetryBackoffBase, "--retry-backoff-max": o.RetryBackoffMax,
		"--poll-interval-min": o.PollIntervalMin, "--poll-interval-max": o.PollIntervalMax,
		"--max-polling-duration": o.MaxPollingDuration, "--default-relist-duration": o.DefaultRelistDuration,
		"--rotation-overlap": o.RotationOverlap,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive", name))
		}
	}
	for name, n := range map[string]int{"--broker-workers": o.BrokerWorkers, "--instance-workers": o.InstanceWorkers, "--binding-workers": o.BindingWorkers} {
		if n <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive", name))
		}
	}
	if o.ClusterIDNamespace == "" || o.ClusterIDConfigMap == "" {
		errs = append(errs, fmt.Errorf("--cluster-id-namespace and --cluster-id-configmap are required"))
	}
	errs = append(errs, o.Serving.Validate()...)
	return utilerrors.NewAggregate(errs)
}

// controllers expands --controllers into the list of loops to run.
func (o *Options) controllers() ([]string, error) {
	var out []string
	for _, name := range o.Controllers {
		switch {
		case name == "*":
			for _, c := range config.AllControllers {
				if !slices.Contains(out, c) {
					out = append(out, c)
				}
			}
		case strings.HasPrefix(name, "-") && slices.Contains(config.AllControllers, name[1:]):
			out = slices.DeleteFunc(out, func(c string) bool { return c == name[1:] })
		case slices.Contains(config.AllControllers, name):
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		default:
			return nil, fmt.Errorf("--controllers: unknown control loop %q (known: %s)", name, strings.Join(config.AllControllers, ", "))
		}
	}
	return out, nil
}

// restConfigs returns the client configurations of the catalog API and of the core
// API, with the flags' rate limits and encoding.
func (o *Options) restConfigs() (catalog, core *rest.Config, err error) {
	catalog, err = restConfig(o.Kubeconfig)
	if err != nil {
		return nil, nil, fmt.Errorf("--kubeconfig: %w", err)
	}
	core = rest.CopyConfig(catalog)
	if o.CoreKubeconfig != "" {
		if core, err = restConfig(o.CoreKubeconfig); err != nil {
			return nil, nil, fmt.Errorf("--core-kubeconfig: %w", err)
		}
	}
	if o.ContentType != runtime.ContentTypeProtobuf && o.ContentType != runtime.ContentTypeJSON {
		return nil, nil, fmt.Errorf("--kube-api-content-type: %q is neither %s nor %s", o.ContentType, runtime.ContentTypeProtobuf, runtime.ContentTypeJSON)
	}
	for _, c := range []*rest.Config{catalog, core} {
		c.QPS, c.Burst = o.QPS, o.Burst
		c.UserAgent = "service-catalog-controller-manager"
		c.ContentType = o.ContentType
		if o.ContentType == runtime.ContentTypeProtobuf {
			// JSON stays acceptable: proxies and webhooks on the way may answer
			// errors in JSON whatever was asked.
			c.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
		}
	}
	return catalog, core, nil
}

// Config builds the controller-manager's configuration.
func (o *Options) Config() (*config.Config, error) {
	catalog, core, err := o.restConfigs()
	if err != nil {
		return nil, err
	}
	controllers, err := o.controllers()
	if err != nil {
		return nil, err
	}
	version, err := osb.ParseAPIVersion(o.OSBAPIVersion)
	if err != nil {
		return nil, err
	}
	cfg := &config.Config{
		CatalogConfig: catalog,
		CoreConfig:    core,
		Controllers:   controllers,
		Workers: map[string]int{
			config.BrokerController: o.BrokerWorkers, config.InstanceController: o.InstanceWorkers, config.BindingController: o.BindingWorkers,
		},
		ResyncPeriod:          o.ResyncPeriod,
		OSB:                   config.OSBConfig{APIVersion: version, Timeout: o.OSBTimeout},
		RetryBackoffBase:      o.RetryBackoffBase,
		RetryBackoffMax:       o.RetryBackoffMax,
		PollIntervalMin:       o.PollIntervalMin,
		PollIntervalMax:       o.PollIntervalMax,
		MaxPollingDuration:    o.MaxPollingDuration,
		DeleteRetryWindow:     o.DeleteRetryWindow,
		BrokerCheckPeriod:     o.BrokerCheckPeriod,
		RotationOverlap:       o.RotationOverlap,
		DefaultRelistDuration: o.DefaultRelistDuration,
		ClusterIDNamespace:    o.ClusterIDNamespace,
		ClusterIDConfigMap:    o.ClusterIDConfigMap,
		LeaderElection:        o.LeaderElection,
	}
	if err := o.Serving.ApplyTo(cfg, cmp.Or(o.CoreKubeconfig, o.Kubeconfig)); err != nil {
		return nil, err
	}
	return cfg, nil
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig == "" {
		return rest.InClusterConfig()
	}
	return clientcmd.BuildConfigFromFlags("", kubeconfig)
}

func metaDuration(d time.Duration) metav1.Duration { return metav1.Duration{Duration: d} }
