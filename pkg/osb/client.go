package osb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client is an OSB API client. Every method takes a context first; the call
// ends at the earlier of the context's deadline and the configured per-request
// timeout. Implementations must be safe for concurrent use.
type Client interface {
	// GetCatalog fetches the broker's catalog (GET /v2/catalog).
	GetCatalog(ctx context.Context) (*CatalogResponse, error)
	// Provision creates a service instance (PUT /v2/service_instances/:id).
	Provision(ctx context.Context, r *ProvisionRequest) (*ProvisionResponse, error)
	// Update changes a service instance (PATCH /v2/service_instances/:id).
	Update(ctx context.Context, r *UpdateRequest) (*UpdateResponse, error)
	// Deprovision deletes a service instance (DELETE /v2/service_instances/:id).
	Deprovision(ctx context.Context, r *DeprovisionRequest) (*DeprovisionResponse, error)
	// PollLastOperation polls an asynchronous instance operation.
	PollLastOperation(ctx context.Context, r *LastOperationRequest) (*LastOperationResponse, error)
	// GetInstance fetches a service instance (API 2.14).
	GetInstance(ctx context.Context, r *GetInstanceRequest) (*GetInstanceResponse, error)
	// Bind creates a service binding.
	Bind(ctx context.Context, r *BindRequest) (*BindResponse, error)
	// Unbind deletes a service binding.
	Unbind(ctx context.Context, r *UnbindRequest) (*UnbindResponse, error)
	// PollBindingLastOperation polls an asynchronous binding operation (API 2.14).
	PollBindingLastOperation(ctx context.Context, r *BindingLastOperationRequest) (*LastOperationResponse, error)
	// GetBinding fetches a service binding (API 2.14).
	GetBinding(ctx context.Context, r *GetBindingRequest) (*GetBindingResponse, error)
}

// CreateFunc creates a Client from a Config. Controllers take one so tests can
// inject a fake; New is the real one.
type CreateFunc func(cfg *Config) (Client, error)

var _ CreateFunc = New

// defaultUserAgent is the User-Agent sent when Config.UserAgent is empty.
const defaultUserAgent = "kube-service-catalog-osb-client"

// client is the Client that speaks HTTP to one broker.
type client struct {
	name       string
	baseURL    string
	apiVersion APIVersion
	authHeader string
	secrets    []string
	timeout    time.Duration
	userAgent  string
	httpClient *http.Client
}

// New returns a Client for cfg. It is cheap: clients with the same TLS
// settings share one HTTP transport and its idle connections.
func New(cfg *Config) (Client, error) {
	if cfg == nil {
		return nil, errors.New("osb: nil config")
	}
	baseURL, err := brokerBaseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	v := cmp.Or(cfg.APIVersion, DefaultAPIVersion)
	if !v.Valid() {
		return nil, fmt.Errorf("osb: unsupported API version %q: supported versions are 2.13 to 2.17", string(v))
	}
	authHeader, secrets, err := authorization(cfg.Auth)
	if err != nil {
		return nil, err
	}
	httpClient, err := newHTTPClient(cfg)
	if err != nil {
		return nil, err
	}
	c := &client{
		name:       cfg.Name,
		baseURL:    baseURL,
		apiVersion: v,
		authHeader: authHeader,
		secrets:    secrets,
		timeout:    cfg.Timeout,
		userAgent:  cmp.Or(cfg.UserAgent, defaultUserAgent),
		httpClient: httpClient,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
}

// brokerBaseURL checks a broker URL and returns it without a trailing slash.
// Credentials belong in Config.Auth, and paths are appended, so user info, a
// query and a fragment are refused.
func brokerBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("osb: broker URL must be an absolute http or https URL")
	}
	if u.User != nil {
		return "", errors.New("osb: broker URL must not contain user info; use Config.Auth")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("osb: broker URL must not have a query or fragment")
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// String hides the credentials the client holds.
func (c *client) String() string {
	return fmt.Sprintf("osb.Client{Name:%s URL:%s APIVersion:%s}", c.name, c.baseURL, c.apiVersion)
}

// GoString hides the credentials the client holds.
func (c *client) GoString() string { return c.String() }
