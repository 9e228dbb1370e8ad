package broker

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"k8s.io/klog/v2"
)

// ServerOptions are the settings of the test-broker command.
type ServerOptions struct {
	// Address is the IP address to listen on.
	Address string
	// Port is the port to listen on; 0 picks a free one.
	Port int
	// CatalogPath is a catalog file (YAML or JSON); empty means the demo catalog.
	CatalogPath string
	// Username and Password enable basic auth.
	Username string
	// Password is the basic-auth password.
	Password string
	// BearerToken enables bearer-token auth.
	BearerToken string
	// TLSCertFile and TLSKeyFile enable TLS.
	TLSCertFile string
	// TLSKeyFile is the TLS private key.
	TLSKeyFile string
	// MinAPIVersion is the oldest accepted X-Broker-API-Version.
	MinAPIVersion string
	// MaxAPIVersion is the newest accepted X-Broker-API-Version.
	MaxAPIVersion string
	// MaxRecordedRequests bounds the request record.
	MaxRecordedRequests int
	// Chaos configures the chaos mode.
	Chaos ChaosOptions
}

// NewServerOptions returns the defaults: 127.0.0.1, a free port, the demo
// catalog, no auth, API versions 2.13 to 2.17.
func NewServerOptions() *ServerOptions {
	return &ServerOptions{
		Address:             "127.0.0.1",
		MinAPIVersion:       "2.13",
		MaxAPIVersion:       "2.17",
		MaxRecordedRequests: DefaultMaxRecordedRequests,
		Chaos:               NewChaosOptions(),
	}
}

// AddFlags registers the options as flags.
func (o *ServerOptions) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Address, "address", o.Address, "IP address to listen on")
	fs.IntVar(&o.Port, "port", o.Port, "port to listen on; 0 picks a free port")
	fs.StringVar(&o.CatalogPath, "catalog", o.CatalogPath, "catalog file (YAML or JSON); empty serves the built-in demo catalog")
	fs.StringVar(&o.Username, "username", o.Username, "require HTTP basic auth with this user name")
	fs.StringVar(&o.Password, "password", o.Password, "the basic-auth password")
	fs.StringVar(&o.BearerToken, "bearer-token", o.BearerToken, "accept this opaque bearer token")
	fs.StringVar(&o.TLSCertFile, "tls-cert", o.TLSCertFile, "TLS certificate file (PEM); serves HTTPS with --tls-key")
	fs.StringVar(&o.TLSKeyFile, "tls-key", o.TLSKeyFile, "TLS private key file (PEM)")
	fs.StringVar(&o.MinAPIVersion, "min-api-version", o.MinAPIVersion, "oldest X-Broker-API-Version accepted")
	fs.StringVar(&o.MaxAPIVersion, "max-api-version", o.MaxAPIVersion, "newest X-Broker-API-Version accepted")
	fs.IntVar(&o.MaxRecordedRequests, "max-recorded-requests", o.MaxRecordedRequests, "how many recent requests to keep for /admin/requests; negative disables recording")
	o.Chaos.AddFlags(fs)
}

// Validate checks the options.
func (o *ServerOptions) Validate() error {
	var errs []error
	if net.ParseIP(o.Address) == nil {
		errs = append(errs, fmt.Errorf("--address %q is not an IP address", o.Address))
	}
	if o.Port < 0 || o.Port > 65535 {
		errs = append(errs, fmt.Errorf("--port %d is out of range", o.Port))
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	if o.Password != "" && o.Username == "" {
		errs = append(errs, errors.New("--password needs --username"))
	}
	errs = append(errs, o.Chaos.Validate())
	return errors.Join(errs...)
}

// Run serves the broker until ctx is done, then shuts down gracefully. When
// listening it writes the broker's URL, alone on a line, to stdout.
func Run(ctx context.Context, o *ServerOptions, stdout io.Writer) error {
	if err := o.Validate(); err != nil {
		return err
	}
	logger := klog.FromContext(ctx)
	b, err := o.newBroker(logger)
	if err != nil {
		return err
	}
	handler, err := o.Chaos.handler(b)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", net.JoinHostPort(o.Address, strconv.Itoa(o.Port)))
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errCh := make(chan error, 1)
	go func() { errCh <- o.serve(srv, l) }()
	url := o.scheme() + "://" + l.Addr().String()
	logger.Info("Test broker listening", "url", url, "catalog", catalogName(o.CatalogPath),
		"auth", o.Username != "" || o.BearerToken != "")
	if _, err := fmt.Fprintln(stdout, url); err != nil {
		logger.Error(err, "Writing the URL to stdout failed")
	}
	select {
	case err := <-errCh:
		return err
	case <-ctx.Done():
	}
	return shutdown(ctx, logger, b, srv, errCh)
}

// newBroker returns the broker the options describe.
func (o *ServerOptions) newBroker(logger klog.Logger) (*Broker, error) {
	var cat *Catalog
	if o.CatalogPath != "" {
		var err error
		if cat, err = LoadCatalog(o.CatalogPath); err != nil {
			return nil, err
		}
	}
	return New(Options{
		Catalog: cat, Username: o.Username, Password: o.Password, BearerToken: o.BearerToken,
		MinAPIVersion: o.MinAPIVersion, MaxAPIVersion: o.MaxAPIVersion, MaxRecordedRequests: o.MaxRecordedRequests,
		Logger: logger,
	})
}

// scheme is https when a TLS certificate is configured, else http.
func (o *ServerOptions) scheme() string {
	if o.TLSCertFile != "" {
		return "https"
	}
	return "http"
}

// serve serves on l until the server shuts down.
func (o *ServerOptions) serve(srv *http.Server, l net.Listener) error {
	if o.TLSCertFile != "" {
		return srv.ServeTLS(l, o.TLSCertFile, o.TLSKeyFile)
	}
	return srv.Serve(l)
}

// shutdown ends the hanging answers, then shuts the server down, and returns
// what serving ended with unless it is the expected http.ErrServerClosed.
func shutdown(ctx context.Context, logger klog.Logger, b *Broker, srv *http.Server, errCh <-chan error) error {
	logger.Info("Shutting down the test broker")
	b.Close()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-errCh; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func catalogName(path string) string { return cmp.Or(path, "built-in demo") }
