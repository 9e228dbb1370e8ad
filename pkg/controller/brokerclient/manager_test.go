package brokerclient

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/osb"
	osbfake "github.com/kube-service-catalog/catalog/pkg/osb/fake"
)

// The credentials of these tests; no error message may contain them.
const (
	testPassword = "p4ssw0rd-value"
	testToken    = "t0ken-value"
)

func testBroker(tweaks ...func(*v1beta1.ClusterServiceBroker)) *v1beta1.ClusterServiceBroker {
	b := &v1beta1.ClusterServiceBroker{ObjectMeta: metav1.ObjectMeta{Name: "the-broker", UID: "broker-uid", Generation: 1}}
	b.Spec.URL = "https://broker.example.com"
	for _, tweak := range tweaks {
		tweak(b)
	}
	return b
}

// view is the catalog view of a cluster broker, which the manager takes.
func view(b *v1beta1.ClusterServiceBroker) *catalog.Broker {
	v, _ := catalog.BrokerOf(b)
	return v
}

func basicAuth(b *v1beta1.ClusterServiceBroker) {
	b.Spec.AuthInfo = &v1beta1.ClusterServiceBrokerAuthInfo{Basic: &v1beta1.ClusterBasicAuthConfig{
		SecretRef: &v1beta1.ObjectReference{Namespace: "catalog", Name: "broker-auth"},
	}}
}

func bearerAuth(b *v1beta1.ClusterServiceBroker) {
	b.Spec.AuthInfo = &v1beta1.ClusterServiceBrokerAuthInfo{Bearer: &v1beta1.ClusterBearerTokenAuthConfig{
		SecretRef: &v1beta1.ObjectReference{Namespace: "catalog", Name: "broker-token"},
	}}
}

func authSecret(name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "catalog", Name: name}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

type managerFixture struct {
	osb   *osbfake.Client
	kube  *fake.Clientset
	clock *clocktesting.FakeClock
	m     *Manager
}

func newManagerFixture(objs ...runtime.Object) *managerFixture {
	f := &managerFixture{
		osb:   osbfake.NewClient(),
		kube:  fake.NewClientset(objs...),
		clock: clocktesting.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
	}
	f.m = NewManager(Options{
		Create: f.osb.CreateFunc(), Secrets: f.kube.CoreV1(), APIVersion: osb.APIVersion2_16,
		Timeout: 42 * time.Second, CredentialsTTL: 10 * time.Minute, Clock: f.clock,
	})
	return f
}

func (f *managerFixture) client(t *testing.T, b *v1beta1.ClusterServiceBroker) osb.Client {
	t.Helper()
	c, err := f.m.ClientFor(context.Background(), view(b))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConfigFromTheBrokerSpec(t *testing.T) {
	f := newManagerFixture()
	f.client(t, testBroker(func(b *v1beta1.ClusterServiceBroker) {
		b.Spec.CABundle = []byte("-----BEGIN CERTIFICATE-----")
		b.Spec.InsecureSkipTLSVerify = true
	}))
	cfgs := f.osb.Configs()
	if len(cfgs) != 1 {
		t.Fatalf("configs %v", cfgs)
	}
	type config struct {
		Name, URL          string
		APIVersion         osb.APIVersion
		CABundle           string
		InsecureSkipVerify bool
		Timeout            time.Duration
		Auth               *osb.AuthConfig
		UserAgent          bool
	}
	cfg := cfgs[0]
	want := config{"the-broker", "https://broker.example.com", osb.APIVersion2_16, "-----BEGIN CERTIFICATE-----", true, 42 * time.Second, nil, true}
	got := config{cfg.Name, cfg.URL, cfg.APIVersion, string(cfg.CABundle), cfg.InsecureSkipVerify, cfg.Timeout, cfg.Auth, cfg.UserAgent != ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}

	// The broker's spec overrides the API version.
	f = newManagerFixture()
	broker := testBroker(func(b *v1beta1.ClusterServiceBroker) { b.Spec.OSBAPIVersion = "2.14" })
	f.client(t, broker)
	type overridden struct {
		APIVersion         osb.APIVersion
		InsecureSkipVerify bool
		CABundle           []byte
	}
	cfg = f.osb.Configs()[0]
	if diff := cmp.Diff(overridden{APIVersion: osb.APIVersion2_14}, overridden{cfg.APIVersion, cfg.InsecureSkipVerify, cfg.CABundle}); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if v := f.m.APIVersion(view(broker)); v != osb.APIVersion2_14 {
		t.Errorf("APIVersion = %s", v)
	}
}

func TestAnUnsupportedAPIVersionIsRefused(t *testing.T) {
	f := newManagerFixture()
	broker := testBroker(func(b *v1beta1.ClusterServiceBroker) { b.Spec.OSBAPIVersion = "3.0" })
	_, err := f.m.ClientFor(context.Background(), view(broker))
	var ce *CredentialsError
	if err == nil || errors.As(err, &ce) || !strings.Contains(err.Error(), "3.0") {
		t.Errorf("ClientFor = %v", err)
	}
	if len(f.osb.Configs()) != 0 {
		t.Errorf("a client was built")
	}
	if v := f.m.APIVersion(view(broker)); v != osb.APIVersion2_16 {
		t.Errorf("APIVersion = %s, want the default", v)
	}
}

func TestDefaults(t *testing.T) {
	m := NewManager(Options{Secrets: fake.NewClientset().CoreV1()})
	type defaults struct {
		Create         bool
		APIVersion     osb.APIVersion
		CredentialsTTL time.Duration
		Clock          bool
	}
	got := defaults{m.opts.Create != nil, m.opts.APIVersion, m.opts.CredentialsTTL, m.opts.Clock != nil}
	if diff := cmp.Diff(defaults{true, osb.DefaultAPIVersion, time.Minute, true}, got); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
	// The real client is built; no request is sent.
	if _, err := m.ClientFor(context.Background(), view(testBroker())); err != nil {
		t.Errorf("ClientFor with osb.New: %v", err)
	}
}

func TestAuthFromSecrets(t *testing.T) {
	f := newManagerFixture(
		authSecret("broker-auth", map[string]string{"username": "catalog", "password": testPassword}),
		authSecret("broker-token", map[string]string{"token": testToken}),
	)
	f.client(t, testBroker(basicAuth))
	f.client(t, testBroker(bearerAuth, func(b *v1beta1.ClusterServiceBroker) { b.Name = "token-broker" }))
	cfgs := f.osb.Configs()
	if len(cfgs) != 2 {
		t.Fatalf("configs %v", cfgs)
	}
	if diff := cmp.Diff(&osb.AuthConfig{Basic: &osb.BasicAuthConfig{Username: "catalog", Password: testPassword}}, cfgs[0].Auth); diff != "" {
		t.Errorf("basic auth (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&osb.AuthConfig{Bearer: &osb.BearerConfig{Token: testToken}}, cfgs[1].Auth); diff != "" {
		t.Errorf("bearer auth (-want +got):\n%s", diff)
	}
}

func TestMissingCredentials(t *testing.T) {
	for _, tc := range []struct {
		name    string
		secrets []runtime.Object
		broker  *v1beta1.ClusterServiceBroker
		message string
	}{
		{"missing basic-auth Secret", nil, testBroker(basicAuth), "auth Secret catalog/broker-auth not found"},
		{"missing password", []runtime.Object{authSecret("broker-auth", map[string]string{"username": testPassword})},
			testBroker(basicAuth), `auth Secret catalog/broker-auth has no "password" key`},
		{"empty username", []runtime.Object{authSecret("broker-auth", map[string]string{"username": "", "password": testPassword})},
			testBroker(basicAuth), `auth Secret catalog/broker-auth has no "username" key`},
		{"missing bearer Secret", nil, testBroker(bearerAuth), "auth Secret catalog/broker-token not found"},
		{"missing token", []runtime.Object{authSecret("broker-token", map[string]string{"password": testToken})},
			testBroker(bearerAuth), `auth Secret catalog/broker-token has no "token" key`},
		{"no Secret named", nil, testBroker(func(b *v1beta1.ClusterServiceBroker) {
			b.Spec.AuthInfo = &v1beta1.ClusterServiceBrokerAuthInfo{Basic: &v1beta1.ClusterBasicAuthConfig{}}
		}), "authInfo names no Secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newManagerFixture(tc.secrets...)
			_, err := f.m.ClientFor(context.Background(), view(tc.broker))
			var ce *CredentialsError
			if !errors.As(err, &ce) {
				t.Fatalf("ClientFor = %v; want a *CredentialsError", err)
			}
			if err.Error() != tc.message {
				t.Errorf("message %q, want %q", err.Error(), tc.message)
			}
			if strings.Contains(err.Error(), testPassword) || strings.Contains(err.Error(), testToken) {
				t.Errorf("message %q holds a credential", err.Error())
			}
			if len(f.osb.Configs()) != 0 {
				t.Errorf("a client was built without credentials")
			}
		})
	}
}

func TestAFailedSecretReadIsNoCredentialsError(t *testing.T) {
	f := newManagerFixture()
	f.kube.PrependReactor("get", "secrets", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewServiceUnavailable("etcd is unwell")
	})
	_, err := f.m.ClientFor(context.Background(), view(testBroker(basicAuth)))
	var ce *CredentialsError
	if err == nil || errors.As(err, &ce) || !apierrors.IsServiceUnavailable(err) || !strings.Contains(err.Error(), "catalog/broker-auth") {
		t.Errorf("ClientFor = %v", err)
	}
}

func TestClientsAreCachedPerBrokerGenerationAndForAWhile(t *testing.T) {
	f := newManagerFixture(authSecret("broker-auth", map[string]string{"username": "catalog", "password": testPassword}))
	broker := testBroker(basicAuth)
	builds := func() int { return len(f.osb.Configs()) }

	first := f.client(t, broker)
	if second := f.client(t, broker); second != first || builds() != 1 {
		t.Fatalf("the client was not reused: %d builds", builds())
	}
	if reads := len(f.kube.Actions()); reads != 1 {
		t.Errorf("the Secret was read %d times", reads)
	}
	other := testBroker(func(b *v1beta1.ClusterServiceBroker) { b.Name = "other-broker" })
	f.client(t, other)
	if builds() != 2 {
		t.Fatalf("brokers share a client: %d builds", builds())
	}

	// A new generation of the spec builds a new client.
	broker.Generation = 2
	if f.client(t, broker) == first || builds() != 3 {
		t.Fatalf("a changed spec reused the client: %d builds", builds())
	}
	// So does a new broker of the same name.
	broker.UID = "new-uid"
	f.client(t, broker)
	if builds() != 4 {
		t.Fatalf("a recreated broker reused the client: %d builds", builds())
	}

	// The credentials are read again once the TTL passed, so a rotated password is used.
	if _, err := f.kube.CoreV1().Secrets("catalog").Update(context.Background(),
		authSecret("broker-auth", map[string]string{"username": "catalog", "password": "rotated"}), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.clock.Step(9 * time.Minute)
	f.client(t, broker)
	if builds() != 4 {
		t.Fatalf("the client was rebuilt within the TTL: %d builds", builds())
	}
	f.clock.Step(time.Minute)
	f.client(t, broker)
	if builds() != 5 || f.osb.Configs()[4].Auth.Basic.Password != "rotated" {
		t.Fatalf("the client was not rebuilt with the rotated password after the TTL: %d builds", builds())
	}

	// Forget drops the client of one broker only.
	f.client(t, other) // its TTL passed too
	if builds() != 6 {
		t.Fatalf("the other broker's client outlived its TTL: %d builds", builds())
	}
	f.m.Forget(broker.Name)
	f.client(t, broker)
	f.client(t, other)
	if builds() != 7 {
		t.Fatalf("after Forget: %d builds, want 7", builds())
	}
}

func TestACreateErrorIsReturnedAndNotCached(t *testing.T) {
	failures := 1
	fakeClient := osbfake.NewClient()
	m := NewManager(Options{
		Secrets: fake.NewClientset().CoreV1(),
		Create: func(cfg *osb.Config) (osb.Client, error) {
			if failures > 0 {
				failures--
				return nil, errors.New("bad URL")
			}
			return fakeClient.CreateFunc()(cfg)
		},
	})
	if _, err := m.ClientFor(context.Background(), view(testBroker())); err == nil || err.Error() != "bad URL" {
		t.Fatalf("ClientFor = %v", err)
	}
	if _, err := m.ClientFor(context.Background(), view(testBroker())); err != nil {
		t.Fatalf("ClientFor after a failed build: %v", err)
	}
}
