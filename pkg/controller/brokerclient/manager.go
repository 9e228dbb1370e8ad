// Package brokerclient hands the control loops an OSB client for a broker, built from the
// broker's spec and the credentials in its auth Secret, and instruments every call.
package brokerclient

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/utils/clock"

	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Options configure the clients a Manager builds.
type Options struct {
	// Create builds a client; osb.New in production, a fake in unit tests.
	Create osb.CreateFunc
	// Secrets reads broker auth Secrets. There is no Secret informer: the catalog never
	// caches every Secret of the cluster.
	Secrets corev1client.SecretsGetter
	// APIVersion is sent to brokers whose spec names none.
	APIVersion osb.APIVersion
	// Timeout bounds every request to a broker.
	Timeout time.Duration
	// CredentialsTTL is how long credentials read from a Secret are reused before the
	// Secret is read again; a rotated password takes effect within it.
	CredentialsTTL time.Duration
	// Clock tells the time; a fake in tests.
	Clock clock.PassiveClock
}

// Manager builds and caches one OSB client per broker.
type Manager struct {
	opts    Options
	mu      sync.Mutex
	clients map[string]cached
}

type cached struct {
	client  osb.Client
	key     string
	expires time.Time
}

// CredentialsError is a broker auth Secret that is missing or lacks a key.
type CredentialsError struct {
	msg string
}

func (e *CredentialsError) Error() string { return e.msg }

// NewManager returns a Manager.
func NewManager(opts Options) *Manager {
	if opts.Create == nil {
		opts.Create = osb.New
	}
	if opts.APIVersion == "" {
		opts.APIVersion = osb.DefaultAPIVersion
	}
	if opts.CredentialsTTL == 0 {
		opts.CredentialsTTL = time.Minute
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	return &Manager{opts: opts, clients: map[string]cached{}}
}

// ClientFor returns the client of a broker. It is rebuilt when the broker's spec changes,
// when the cached credentials expire, or after Forget.
func (m *Manager) ClientFor(ctx context.Context, broker *catalog.Broker) (osb.Client, error) {
	specKey := broker.Key() + "/" + string(broker.Object.GetUID()) + "/" + strconv.FormatInt(broker.Object.GetGeneration(), 10)
	now := m.opts.Clock.Now()
	m.mu.Lock()
	c, ok := m.clients[broker.Key()]
	m.mu.Unlock()
	if ok && c.key == specKey && now.Before(c.expires) {
		return c.client, nil
	}

	cfg, err := m.config(ctx, broker)
	if err != nil {
		return nil, err
	}
	client, err := m.opts.Create(cfg)
	if err != nil {
		return nil, err
	}
	client = instrument(broker.Key(), client)
	m.mu.Lock()
	m.clients[broker.Key()] = cached{client: client, key: specKey, expires: now.Add(m.opts.CredentialsTTL)}
	m.mu.Unlock()
	return client, nil
}

// APIVersion returns the OSB API version the client of a broker speaks: the broker's
// spec.osbAPIVersion, or the default when it names none or an unsupported one (a client
// for the latter is refused by ClientFor anyway). Loops use it to decide, before a
// request, whether the broker can be asked for optional features such as asynchronous
// bindings.
func (m *Manager) APIVersion(broker *catalog.Broker) osb.APIVersion {
	if broker.Spec.OSBAPIVersion != "" {
		if v, err := osb.ParseAPIVersion(broker.Spec.OSBAPIVersion); err == nil {
			return v
		}
	}
	return m.opts.APIVersion
}

// Forget drops the cached client of a broker, by its catalog.Key, e.g. after it answered
// 401 or was deleted.
func (m *Manager) Forget(brokerKey string) {
	m.mu.Lock()
	delete(m.clients, brokerKey)
	m.mu.Unlock()
}

func (m *Manager) config(ctx context.Context, broker *catalog.Broker) (*osb.Config, error) {
	spec := broker.Spec
	version := m.opts.APIVersion
	if spec.OSBAPIVersion != "" {
		v, err := osb.ParseAPIVersion(spec.OSBAPIVersion)
		if err != nil {
			return nil, err
		}
		version = v
	}
	cfg := &osb.Config{
		Name:               broker.Key(),
		URL:                spec.URL,
		APIVersion:         version,
		CABundle:           spec.CABundle,
		InsecureSkipVerify: spec.InsecureSkipTLSVerify,
		Timeout:            m.opts.Timeout,
		UserAgent:          "service-catalog-controller-manager",
	}
	switch {
	case broker.BasicSecret != nil:
		data, err := m.secretData(ctx, *broker.BasicSecret, "username", "password")
		if err != nil {
			return nil, err
		}
		cfg.Auth = &osb.AuthConfig{Basic: &osb.BasicAuthConfig{Username: string(data["username"]), Password: string(data["password"])}}
	case broker.BearerSecret != nil:
		data, err := m.secretData(ctx, *broker.BearerSecret, "token")
		if err != nil {
			return nil, err
		}
		cfg.Auth = &osb.AuthConfig{Bearer: &osb.BearerConfig{Token: string(data["token"])}}
	}
	return cfg, nil
}

// secretData reads the given keys of a Secret. Errors name the Secret and the key,
// never a value.
func (m *Manager) secretData(ctx context.Context, ref types.NamespacedName, keys ...string) (map[string][]byte, error) {
	if ref.Name == "" {
		return nil, &CredentialsError{msg: "authInfo names no Secret"}
	}
	secret, err := m.opts.Secrets.Secrets(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, &CredentialsError{msg: fmt.Sprintf("auth Secret %s/%s not found", ref.Namespace, ref.Name)}
	}
	if err != nil {
		return nil, fmt.Errorf("reading auth Secret %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	for _, k := range keys {
		if len(secret.Data[k]) == 0 {
			return nil, &CredentialsError{msg: fmt.Sprintf("auth Secret %s/%s has no %q key", ref.Namespace, ref.Name, k)}
		}
	}
	return secret.Data, nil
}
