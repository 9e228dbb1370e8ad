package servicebinding

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// testEndpoints decodes endpoints as the OSB client does: numeric ports become strings.
func testEndpoints(t *testing.T, doc string) []osb.Endpoint {
	t.Helper()
	var endpoints []osb.Endpoint
	if err := json.Unmarshal([]byte(doc), &endpoints); err != nil {
		t.Fatal(err)
	}
	return endpoints
}

// fullAnswer is a bind answer with every field a binding keeps, a password in the
// credentials, in the syslog drain URL and in a volume mount's mount_config.
func fullAnswer(t *testing.T) *osb.BindResponse {
	resp := credentialsAnswer()
	resp.Endpoints = testEndpoints(t, `[{"host":"db.example.com","ports":[5432,"9000-9010"]},{"host":"10.0.0.7","ports":["53"],"protocol":"udp"}]`)
	resp.Metadata = &osb.BindingMetadata{ExpiresAt: "2030-01-02T03:04:05.6Z", RenewBefore: "2029-12-02T03:04:05Z"}
	resp.SyslogDrainURL = strPtr("syslog-tls://drain:" + testPassword + "@logs.example.com:6514")
	resp.RouteServiceURL = strPtr("https://route.example.com/proxy")
	resp.VolumeMounts = []osb.VolumeMount{{
		Driver: "smbdriver", ContainerDir: "/data", Mode: "rw", DeviceType: "shared",
		Device: osb.VolumeDevice{VolumeID: "vol-1", MountConfig: map[string]any{"username": "smb", "password": testPassword}},
	}}
	return resp
}

// wantFullStatus is status.credentials after fullAnswer.
func wantFullStatus() *v1beta1.BindingCredentialsStatus {
	return &v1beta1.BindingCredentialsStatus{
		ExpiresAt:       &metav1.Time{Time: time.Date(2030, 1, 2, 3, 4, 5, 600000000, time.UTC)},
		RenewBefore:     &metav1.Time{Time: time.Date(2029, 12, 2, 3, 4, 5, 0, time.UTC)},
		SyslogDrainURL:  "syslog-tls://drain:xxxxx@logs.example.com:6514",
		RouteServiceURL: "https://route.example.com/proxy",
		VolumeMounts: []runtime.RawExtension{{Raw: []byte(
			`{"driver":"smbdriver","container_dir":"/data","mode":"rw","device_type":"shared","device":{"volume_id":"vol-1"}}`)}},
	}
}

// wantNoCredentialInStatus fails when the password occurs anywhere in the status.
func wantNoCredentialInStatus(t *testing.T, b *v1beta1.ServiceBinding) {
	t.Helper()
	doc, err := json.Marshal(b.Status)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(doc), testPassword) {
		t.Errorf("a credential value is in the status: %s", doc)
	}
}

func TestASyncBindPutsEndpointsInTheSecretAndTheRestInStatus(t *testing.T) {
	f := newFixture(t, nil)
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) { return fullAnswer(t), nil })
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	b := f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	looptest.Expect(t, "status.credentials", wantFullStatus(), b.Status.Credentials)
	wantNoCredentialInStatus(t, b)
	looptest.Expect(t, "Secret", map[string]string{
		"password": testPassword, "port": "6379", "type": "redis", "provider": "the-broker",
		"endpoints": `[{"host":"db.example.com","ports":["5432","9000-9010"],"protocol":"tcp"},{"host":"10.0.0.7","ports":["53"],"protocol":"udp"}]`,
	}, f.secretData())
}

func TestEndpointsSurviveAFailedSecretWrite(t *testing.T) {
	f := newFixture(t, nil)
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) { return fullAnswer(t), nil })
	failures := 1
	f.Kube.PrependReactor("create", "secrets", func(clienttesting.Action) (bool, runtime.Object, error) {
		if failures > 0 {
			failures--
			return true, nil, apierrors.NewInternalError(errors.New("etcd is unwell"))
		}
		return false, nil, nil
	})
	if _, err := f.Sync(); err == nil {
		t.Fatal("a failed Secret write must be retried")
	}
	looptest.Expect(t, "status.credentials while the Secret is not written", wantFullStatus(), f.binding().Status.Credentials)
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationBind)
	b := f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	looptest.Expect(t, "status.credentials", wantFullStatus(), b.Status.Credentials)
	if _, ok := f.secretData()[EndpointsKey]; !ok {
		t.Errorf("the Secret written from memory has no endpoints")
	}
}

func TestACredentialNamedEndpointsWins(t *testing.T) {
	f := newFixture(t, nil)
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) {
		resp := fullAnswer(t)
		resp.Credentials = map[string]any{"password": testPassword, "endpoints": "primary.example.com:5432"}
		return resp, nil
	})
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	looptest.Expect(t, "endpoints key", "primary.example.com:5432", f.secretData()[EndpointsKey])
}

func TestAnAnswerWithoutBindingFieldsLeavesNoTrace(t *testing.T) {
	f := newFixture(t, nil)
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) {
		resp := credentialsAnswer()
		// An unparsable expiry is dropped, and so is a URL that cannot be told apart from a secret.
		resp.Metadata = &osb.BindingMetadata{ExpiresAt: "next tuesday"}
		resp.SyslogDrainURL = strPtr("syslog://drain:%zz@host")
		return resp, nil
	})
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	b := f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	looptest.Expect(t, "status.credentials", (*v1beta1.BindingCredentialsStatus)(nil), b.Status.Credentials)
	if _, ok := f.secretData()[EndpointsKey]; ok {
		t.Errorf("an endpoints key without endpoints")
	}
}

func TestEndpointsAreAJSONPathAway(t *testing.T) {
	host := "{.endpoints[0].host}"
	f := newFixture(t, func(o *fixtureObjects) {
		o.binding.Spec.SecretTransforms = []v1beta1.SecretTransform{{AddKey: &v1beta1.AddKeyTransform{Key: "host", JSONPathExpression: &host}}}
	})
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) { return fullAnswer(t), nil })
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	looptest.Expect(t, "host", "db.example.com", f.secretData()["host"])
}

func TestAnAsyncBindTakesStatusCredentialsFromGetBinding(t *testing.T) {
	f := newFixture(t, nil)
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) {
		return &osb.BindResponse{Async: true}, nil
	})
	f.OSB.SetPollBindingLastOperationReaction(func(context.Context, *osb.BindingLastOperationRequest) (*osb.LastOperationResponse, error) {
		return &osb.LastOperationResponse{State: osb.StateSucceeded}, nil
	})
	f.OSB.SetGetBindingReaction(func(context.Context, *osb.GetBindingRequest) (*osb.GetBindingResponse, error) {
		a := fullAnswer(t)
		return &osb.GetBindingResponse{
			Credentials: a.Credentials, Endpoints: a.Endpoints, Metadata: a.Metadata,
			SyslogDrainURL: a.SyslogDrainURL, RouteServiceURL: a.RouteServiceURL, VolumeMounts: a.VolumeMounts,
		}, nil
	})
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	looptest.Expect(t, "status.credentials while binding", (*v1beta1.BindingCredentialsStatus)(nil), f.binding().Status.Credentials)
	f.Clock.Step(time.Minute)
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationBind, osb.OperationBindingLastOperation, osb.OperationGetBinding)
	b := f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	looptest.Expect(t, "status.credentials", wantFullStatus(), b.Status.Credentials)
	wantNoCredentialInStatus(t, b)
	looptest.Expect(t, "endpoints key",
		`[{"host":"db.example.com","ports":["5432","9000-9010"],"protocol":"tcp"},{"host":"10.0.0.7","ports":["53"],"protocol":"udp"}]`,
		f.secretData()[EndpointsKey])
}

func TestUnbindingClearsStatusCredentials(t *testing.T) {
	// The credentials were lost before the Secret was written, and the broker cannot hand
	// them out again: the binding is deleted at the broker, then made again.
	f := newFixture(t, func(o *fixtureObjects) {
		pending(o)
		o.class.Spec.BindingsRetrievable = false
		o.binding.Status.Credentials = wantFullStatus()
	})
	f.OSB.SetUnbindReaction(func(context.Context, *osb.UnbindRequest) (*osb.UnbindResponse, error) {
		return &osb.UnbindResponse{}, nil
	})
	if _, err := f.Sync(); err != nil { // starts orphan mitigation
		t.Fatal(err)
	}
	if _, err := f.Sync(); err != nil { // unbinds
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationUnbind)
	b := f.wantReady(metav1.ConditionFalse, conditions.BindResultLost)
	looptest.Expect(t, "status.credentials after the unbind", (*v1beta1.BindingCredentialsStatus)(nil), b.Status.Credentials)
}
