// Package framework starts the catalog API server in-process for integration tests, on
// real etcd, and hands out clients for its users.
package framework

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kube-service-catalog/catalog/cmd/apiserver/app"
	"github.com/kube-service-catalog/catalog/cmd/apiserver/app/options"
	"github.com/kube-service-catalog/catalog/pkg/apiserver"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
)

// ServerOptions configure a test server.
type ServerOptions struct {
	// EtcdServers are the etcd endpoints to use. When empty the server runs its embedded
	// etcd in DataDir.
	EtcdServers []string
	// EtcdPrefix isolates the server's keys; a random prefix is used when empty.
	EtcdPrefix string
	// DataDir holds the embedded etcd's data when EtcdServers is empty; a temporary
	// directory is used when empty.
	DataDir string
	// Users are extra user names; each gets a bearer token. The admin always exists.
	Users []string
	// DisableAdmissionPlugins turns the named admission plugins off.
	DisableAdmissionPlugins []string
}

// Server is a catalog API server running in the test process.
type Server struct {
	// EtcdPrefix is the etcd key prefix the server stores objects under.
	EtcdPrefix string
	// Kubeconfig is the path of the admin kubeconfig the server wrote.
	Kubeconfig string

	admin    *rest.Config
	users    map[string]*rest.Config
	handler  http.Handler
	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
}

// StartServer starts a catalog API server in standalone mode on 127.0.0.1 and a free
// port, waits until it is ready, and stops it when the test ends.
func StartServer(t testing.TB, opts ServerOptions) *Server {
	t.Helper()
	s, err := startServer(t.TempDir(), opts)
	if err != nil {
		t.Fatalf("starting the catalog API server: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

func startServer(dir string, opts ServerOptions) (*Server, error) {
	o := options.NewOptions()
	o.RecommendedOptions.SecureServing.BindPort = 0
	o.Standalone.Enabled = true
	o.Standalone.KubeconfigPath = filepath.Join(dir, "admin.kubeconfig")
	if opts.EtcdPrefix == "" {
		opts.EtcdPrefix = "/" + randomHex(8)
	}
	o.RecommendedOptions.Etcd.StorageConfig.Prefix = opts.EtcdPrefix
	o.RecommendedOptions.Admission.DisablePlugins = append(o.RecommendedOptions.Admission.DisablePlugins, opts.DisableAdmissionPlugins...)
	o.RecommendedOptions.Etcd.StorageConfig.Transport.ServerList = opts.EtcdServers
	if len(opts.EtcdServers) == 0 {
		o.EmbeddedEtcd.DataDir = opts.DataDir
		if o.EmbeddedEtcd.DataDir == "" {
			o.EmbeddedEtcd.DataDir = filepath.Join(dir, "etcd")
			o.EmbeddedEtcd.UnsafeNoFsync = true
		}
	}

	tokens := map[string]string{}
	if len(opts.Users) > 0 {
		var lines []string
		for _, u := range opts.Users {
			tokens[u] = randomHex(16)
			lines = append(lines, fmt.Sprintf("%s,%s,uid-%s,\"team-%s\"", tokens[u], u, u, u))
		}
		o.Standalone.TokenFile = filepath.Join(dir, "tokens.csv")
		if err := os.WriteFile(o.Standalone.TokenFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			return nil, err
		}
	}

	if err := o.Complete(); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}

	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{EtcdPrefix: opts.EtcdPrefix, Kubeconfig: o.Standalone.KubeconfigPath, cancel: cancel, done: make(chan error, 1), users: map[string]*rest.Config{}}
	handler := make(chan http.Handler, 1)
	go func() {
		s.done <- app.RunServer(ctx, o, func(srv *apiserver.Server) { handler <- srv.GenericAPIServer.Handler })
	}()

	if err := s.waitForKubeconfig(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	admin, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	if err != nil {
		s.Stop()
		return nil, err
	}
	admin.QPS, admin.Burst = -1, 0 // tests are not rate limited
	s.admin = admin
	for u, token := range tokens {
		cfg := rest.AnonymousClientConfig(admin)
		cfg.BearerToken = token
		s.users[u] = cfg
	}
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	s.handler = <-handler // sent before the server served /readyz
	return s, nil
}

// waitForKubeconfig waits until the server wrote its admin kubeconfig, or failed.
func (s *Server) waitForKubeconfig(ctx context.Context) error {
	return wait.PollUntilContextTimeout(ctx, 20*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		select {
		case err := <-s.done:
			s.done <- err
			return false, fmt.Errorf("server exited: %w", err)
		default:
		}
		_, err := os.Stat(s.Kubeconfig)
		return err == nil, nil
	})
}

// waitReady waits until /readyz answers ok.
func (s *Server) waitReady(ctx context.Context) error {
	client, err := rest.UnversionedRESTClientFor(WithCodecs(s.admin))
	if err != nil {
		return err
	}
	return wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		select {
		case err := <-s.done:
			s.done <- err
			return false, fmt.Errorf("server exited: %w", err)
		default:
		}
		body, err := client.Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && string(body) == "ok", nil
	})
}

// Stop shuts the server down and waits for it; it may be called more than once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.cancel()
		select {
		case err := <-s.done:
			if err != nil && !errors.Is(err, context.Canceled) {
				fmt.Fprintf(os.Stderr, "catalog API server stopped with: %v\n", err)
			}
		case <-time.After(time.Minute):
			fmt.Fprintln(os.Stderr, "catalog API server did not stop within a minute")
		}
	})
}

// Handler returns the server's whole handler chain (authentication, authorization,
// admission, storage), for requests served in process without a connection.
func (s *Server) Handler() http.Handler {
	return s.handler
}

// AdminConfig returns a client configuration for the admin user (system:masters).
func (s *Server) AdminConfig() *rest.Config {
	return rest.CopyConfig(s.admin)
}

// UserConfig returns a client configuration for one of ServerOptions.Users.
func (s *Server) UserConfig(t testing.TB, name string) *rest.Config {
	cfg, ok := s.users[name]
	if !ok {
		t.Fatalf("no test user %q", name)
	}
	return rest.CopyConfig(cfg)
}

// AdminClient returns a generated clientset for the admin user.
func (s *Server) AdminClient(t testing.TB) clientset.Interface {
	c, err := clientset.NewForConfig(s.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// UserClient returns a generated clientset for one of ServerOptions.Users.
func (s *Server) UserClient(t testing.TB, name string) clientset.Interface {
	c, err := clientset.NewForConfig(s.UserConfig(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// WithCodecs returns a copy of cfg that decodes with the client-go scheme, for plain REST clients.
func WithCodecs(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	return cfg
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
