package brokerclient

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/component-base/metrics/testutil"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/osb"
	osbfake "github.com/kube-service-catalog/catalog/pkg/osb/fake"
)

// requests reads servicecatalog_osb_requests_total of a broker and operation by result.
func requests(broker string, op osb.Operation) map[string]float64 {
	// An error means no request was counted yet.
	values, _ := testutil.GetCounterValuesFromGatherer(legacyregistry.DefaultGatherer, "servicecatalog_osb_requests_total",
		map[string]string{"broker": broker, "operation": string(op)}, "result")
	return values
}

// since returns the counts added to after since before, leaving out zeros.
func since(before, after map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

func TestTheClientRecordsEachRequestsResultClass(t *testing.T) {
	fakeClient := osbfake.NewClient()
	m := NewManager(Options{Create: fakeClient.CreateFunc(), Secrets: fake.NewClientset().CoreV1()})
	// A broker name of its own keeps other tests' requests out of the counts.
	broker := testBroker(func(b *v1beta1.ClusterServiceBroker) { b.Name = "metrics-broker" })
	client, err := m.ClientFor(context.Background(), view(broker))
	if err != nil {
		t.Fatal(err)
	}
	before := requests("metrics-broker", osb.OperationProvision)

	answers := []error{
		nil,
		nil,
		&osb.HTTPStatusCodeError{StatusCode: 409},
		&osb.HTTPStatusCodeError{StatusCode: 422, ErrorCode: osb.ErrorCodeConcurrencyError},
		&osb.HTTPStatusCodeError{StatusCode: 503},
		&osb.TransportError{Timeout: true},
		&osb.TransportError{MaybeReceived: false},
		&osb.UnexpectedStatusError{StatusCode: 204},
		errors.New("something else"),
	}
	fakeClient.SetProvisionReaction(func(context.Context, *osb.ProvisionRequest) (*osb.ProvisionResponse, error) {
		err := answers[0]
		answers = answers[1:]
		if err != nil {
			return nil, err
		}
		return &osb.ProvisionResponse{}, nil
	})
	for range len(answers) {
		_, _ = client.Provision(context.Background(), &osb.ProvisionRequest{InstanceID: "i"})
	}
	want := map[string]float64{"2xx": 3, "4xx": 2, "5xx": 1, "timeout": 1, "error": 2}
	if got := since(before, requests("metrics-broker", osb.OperationProvision)); !reflect.DeepEqual(got, want) {
		t.Errorf("provision requests by result %v, want %v", got, want)
	}
	if n := len(fakeClient.ActionsOf(osb.OperationProvision)); n != 9 {
		t.Errorf("%d provision calls reached the client, want 9", n)
	}
}

func TestEveryOperationIsInstrumented(t *testing.T) {
	fakeClient := osbfake.NewClient()
	// No reactions: every call fails with an *osbfake.UnexpectedActionError, an "error".
	m := NewManager(Options{Create: fakeClient.CreateFunc(), Secrets: fake.NewClientset().CoreV1()})
	broker := testBroker(func(b *v1beta1.ClusterServiceBroker) { b.Name = "every-operation-broker" })
	client, err := m.ClientFor(context.Background(), view(broker))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	before := map[osb.Operation]map[string]float64{}
	for _, op := range osb.Operations() {
		before[op] = requests("every-operation-broker", op)
	}
	_, _ = client.GetCatalog(ctx)
	_, _ = client.Provision(ctx, &osb.ProvisionRequest{})
	_, _ = client.Update(ctx, &osb.UpdateRequest{})
	_, _ = client.Deprovision(ctx, &osb.DeprovisionRequest{})
	_, _ = client.PollLastOperation(ctx, &osb.LastOperationRequest{})
	_, _ = client.GetInstance(ctx, &osb.GetInstanceRequest{})
	_, _ = client.Bind(ctx, &osb.BindRequest{})
	_, _ = client.Unbind(ctx, &osb.UnbindRequest{})
	_, _ = client.PollBindingLastOperation(ctx, &osb.BindingLastOperationRequest{})
	_, _ = client.GetBinding(ctx, &osb.GetBindingRequest{})
	for _, op := range osb.Operations() {
		if got := since(before[op], requests("every-operation-broker", op)); !reflect.DeepEqual(got, map[string]float64{"error": 1}) {
			t.Errorf("%s requests by result %v", op, got)
		}
	}
	if n := len(fakeClient.Actions()); n != len(osb.Operations()) {
		t.Errorf("%d calls reached the client, want %d", n, len(osb.Operations()))
	}
}
