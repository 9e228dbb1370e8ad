package osb

import (
	"fmt"
	"net/http"
	"time"
)

// DefaultTimeout is the per-request timeout used when Config.Timeout is zero.
// The OSB specification calls 60 seconds typical.
const DefaultTimeout = 60 * time.Second

// Config configures a Client.
type Config struct {
	// Name identifies the broker in log lines (for example the ClusterServiceBroker name).
	Name string
	// URL is the broker's base URL, http or https, without user info.
	URL string
	// APIVersion is the OSB API version to send; empty means DefaultAPIVersion.
	APIVersion APIVersion
	// Auth holds the broker credentials; nil sends no Authorization header.
	Auth *AuthConfig
	// CABundle is PEM-encoded CA certificates trusted for the broker's TLS
	// certificate; empty means the system roots.
	CABundle []byte
	// InsecureSkipVerify disables TLS certificate verification.
	InsecureSkipVerify bool
	// Timeout bounds each request; zero means DefaultTimeout.
	Timeout time.Duration
	// UserAgent overrides the User-Agent header.
	UserAgent string
	// Transport overrides the HTTP transport (CABundle and InsecureSkipVerify
	// are then ignored). By default clients with the same TLS settings share
	// one keep-alive transport.
	Transport http.RoundTripper
}

// AuthConfig holds broker credentials: set exactly one of Basic or Bearer.
type AuthConfig struct {
	// Basic is HTTP basic authentication.
	Basic *BasicAuthConfig
	// Bearer is opaque bearer-token authentication.
	Bearer *BearerConfig
}

// BasicAuthConfig is a user name and password for HTTP basic authentication.
type BasicAuthConfig struct {
	// Username is the basic-auth user name.
	Username string
	// Password is the basic-auth password.
	Password string
}

// String hides the password.
func (b BasicAuthConfig) String() string { return "{Username:" + b.Username + " Password:<redacted>}" }

// GoString hides the password.
func (b BasicAuthConfig) GoString() string { return b.String() }

// BearerConfig is an opaque bearer token.
type BearerConfig struct {
	// Token is sent as "Authorization: Bearer <token>".
	Token string
}

// String hides the token.
func (b BearerConfig) String() string { return "{Token:<redacted>}" }

// GoString hides the token.
func (b BearerConfig) GoString() string { return b.String() }

// String describes the config without credentials.
func (c Config) String() string {
	auth := "none"
	if c.Auth != nil {
		switch {
		case c.Auth.Basic != nil:
			auth = "basic"
		case c.Auth.Bearer != nil:
			auth = "bearer"
		}
	}
	return fmt.Sprintf("{Name:%s URL:%s APIVersion:%s Auth:%s CABundle:%d bytes InsecureSkipVerify:%t Timeout:%s}",
		c.Name, c.URL, c.APIVersion, auth, len(c.CABundle), c.InsecureSkipVerify, c.Timeout)
}

// GoString describes the config without credentials.
func (c Config) GoString() string { return c.String() }

// MarshalLog describes the config for structured loggers without credentials.
func (c Config) MarshalLog() any { return c.String() }
