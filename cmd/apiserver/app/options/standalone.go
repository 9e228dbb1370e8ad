package options

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/anonymous"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	"k8s.io/apiserver/pkg/authentication/request/union"
	"k8s.io/apiserver/pkg/authentication/token/tokenfile"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/path"
	authorizationunion "k8s.io/apiserver/pkg/authorization/union"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// StandaloneAdmin is the user the standalone kubeconfig authenticates as.
const StandaloneAdmin = "catalog-admin"

// StandaloneOptions run the server without a Kubernetes API to delegate to, for local use:
// it writes a kubeconfig holding a fresh admin token, lets every authenticated user do
// everything, and refuses anonymous requests except health checks.
type StandaloneOptions struct {
	// Enabled turns standalone mode on.
	Enabled bool
	// KubeconfigPath is where the admin kubeconfig is written.
	KubeconfigPath string
	// TokenFile optionally names a CSV file (token,user,uid,"group1,group2") of further users.
	TokenFile string
}

// AddFlags adds the standalone flags.
func (o *StandaloneOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Enabled, "standalone", o.Enabled,
		"Run without a Kubernetes API server: authenticate with a generated admin token written to --standalone-kubeconfig "+
			"(and the users of --standalone-token-file), allow every authenticated user everything, and refuse anonymous requests. "+
			"Without it, authentication and authorization are delegated to the Kubernetes API server.")
	fs.StringVar(&o.KubeconfigPath, "standalone-kubeconfig", o.KubeconfigPath,
		"Where standalone mode writes a kubeconfig for the admin user.")
	fs.StringVar(&o.TokenFile, "standalone-token-file", o.TokenFile,
		`A CSV file of further users for standalone mode, one per line: token,user,uid,"group1,group2".`)
}

// Validate checks the standalone flags.
func (o *StandaloneOptions) Validate() []error {
	if o.Enabled && o.KubeconfigPath == "" {
		return []error{fmt.Errorf("--standalone-kubeconfig is required with --standalone")}
	}
	return nil
}

// ApplyTo installs the standalone authenticator and authorizer and writes the admin
// kubeconfig for a server reached at serverURL with the given serving certificate chain.
func (o *StandaloneOptions) ApplyTo(cfg *genericapiserver.Config, serverURL string, servingCA []byte) error {
	token, err := randomToken()
	if err != nil {
		return err
	}
	admin := &user.DefaultInfo{Name: StandaloneAdmin, UID: StandaloneAdmin, Groups: []string{user.SystemPrivilegedGroup, user.AllAuthenticated}}
	tokens := []authenticator.Request{bearertoken.New(tokenfile.New(map[string]*user.DefaultInfo{token: admin}))}
	if o.TokenFile != "" {
		users, err := tokenfile.NewCSV(o.TokenFile)
		if err != nil {
			return fmt.Errorf("reading --standalone-token-file: %w", err)
		}
		tokens = append(tokens, bearertoken.New(users))
	}
	// Token users get system:authenticated; a wrong token is refused (401), no token is anonymous.
	cfg.Authentication.Authenticator = union.NewFailOnError(group.NewAuthenticatedGroupAdder(union.New(tokens...)), anonymous.NewAuthenticator(nil))

	healthChecks, err := path.NewAuthorizer([]string{"/healthz", "/readyz", "/livez"})
	if err != nil {
		return err
	}
	cfg.Authorization.Authorizer, err = authorizationunion.New(
		authorizationunion.NamedAuthorizer{AuthorizerName: "health-checks", Authorizer: healthChecks},
		authorizationunion.NamedAuthorizer{AuthorizerName: "authenticated-users", Authorizer: authorizer.AuthorizerFunc(authorizeAuthenticated)},
	)
	if err != nil {
		return err
	}
	return writeKubeconfig(o.KubeconfigPath, serverURL, servingCA, token)
}

// authorizeAuthenticated allows every authenticated user and refuses everyone else.
func authorizeAuthenticated(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	if u := a.GetUser(); u != nil {
		for _, g := range u.GetGroups() {
			if g == user.AllAuthenticated {
				return authorizer.DecisionAllow, "", nil
			}
		}
	}
	return authorizer.DecisionDeny, "anonymous requests are not allowed; use the kubeconfig written by --standalone-kubeconfig", nil
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// writeKubeconfig writes a kubeconfig for the admin token, readable by its owner only.
func writeKubeconfig(path, serverURL string, ca []byte, token string) error {
	const name = "service-catalog"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: serverURL, CertificateAuthorityData: ca}
	cfg.AuthInfos[StandaloneAdmin] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: StandaloneAdmin}
	cfg.CurrentContext = name
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return err
	}
	// Write to a temporary file and rename it, so that nobody reads a half-written file.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kubeconfig-*")
	if err != nil {
		return err
	}
	// Removes the file unless it was renamed; after a rename this fails, harmlessly.
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close() // the write error is the one to report
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
