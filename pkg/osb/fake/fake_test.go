package fake

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func TestRecordsActionsAndUsesTypedReactions(t *testing.T) {
	f := NewClient()
	ctx := context.Background()
	f.SetProvisionReaction(func(_ context.Context, r *osb.ProvisionRequest) (*osb.ProvisionResponse, error) {
		return &osb.ProvisionResponse{Async: true, OperationKey: &r.InstanceID}, nil
	})
	f.SetDeprovisionReaction(func(context.Context, *osb.DeprovisionRequest) (*osb.DeprovisionResponse, error) {
		return nil, &osb.HTTPStatusCodeError{StatusCode: 410}
	})
	req := &osb.ProvisionRequest{InstanceID: "i-1", PlanID: "p"}
	resp, err := f.Provision(ctx, req)
	if err != nil {
		t.Fatalf("Provision: %v", err)
	}
	key := "i-1"
	if diff := cmp.Diff(&osb.ProvisionResponse{Async: true, OperationKey: &key}, resp); diff != "" {
		t.Fatalf("Provision (-want +got):\n%s", diff)
	}
	req.PlanID = "changed later"
	if _, err := f.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: "i-1"}); !osb.IsGone(err) {
		t.Fatalf("Deprovision error = %v", err)
	}
	_, err = f.Bind(ctx, &osb.BindRequest{BindingID: "b"})
	var unexpected *UnexpectedActionError
	if !errors.As(err, &unexpected) || unexpected.Action.Type != osb.OperationBind {
		t.Fatalf("Bind without reaction: %v", err)
	}
	actions := f.Actions()
	var types []osb.Operation
	for _, a := range actions {
		types = append(types, a.Type)
	}
	if diff := cmp.Diff([]osb.Operation{osb.OperationProvision, osb.OperationDeprovision, osb.OperationBind}, types); diff != "" {
		t.Fatalf("actions (-want +got):\n%s", diff)
	}
	if got := actions[0].Request.(*osb.ProvisionRequest); got.PlanID != "p" {
		t.Errorf("recorded request changed with the caller's: %+v", got)
	}
	if n := len(f.ActionsOf(osb.OperationDeprovision)); n != 1 {
		t.Errorf("ActionsOf(deprovision) = %d", n)
	}
	f.ClearActions()
	if len(f.Actions()) != 0 {
		t.Error("ClearActions kept actions")
	}
	f.SetProvisionReaction(nil)
	if _, err := f.Provision(ctx, req); !errors.As(err, &unexpected) {
		t.Errorf("removed reaction still answers: %v", err)
	}
}

func TestEveryOperationReachesItsTypedReaction(t *testing.T) {
	f := NewClient()
	ctx := context.Background()
	f.SetGetCatalogReaction(func(context.Context) (*osb.CatalogResponse, error) { return &osb.CatalogResponse{}, nil })
	f.SetProvisionReaction(func(context.Context, *osb.ProvisionRequest) (*osb.ProvisionResponse, error) {
		return &osb.ProvisionResponse{}, nil
	})
	f.SetUpdateReaction(func(context.Context, *osb.UpdateRequest) (*osb.UpdateResponse, error) {
		return &osb.UpdateResponse{}, nil
	})
	f.SetDeprovisionReaction(func(context.Context, *osb.DeprovisionRequest) (*osb.DeprovisionResponse, error) {
		return &osb.DeprovisionResponse{}, nil
	})
	f.SetPollLastOperationReaction(func(context.Context, *osb.LastOperationRequest) (*osb.LastOperationResponse, error) {
		return &osb.LastOperationResponse{State: osb.StateSucceeded}, nil
	})
	f.SetGetInstanceReaction(func(context.Context, *osb.GetInstanceRequest) (*osb.GetInstanceResponse, error) {
		return &osb.GetInstanceResponse{}, nil
	})
	f.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) { return &osb.BindResponse{}, nil })
	f.SetUnbindReaction(func(context.Context, *osb.UnbindRequest) (*osb.UnbindResponse, error) {
		return &osb.UnbindResponse{}, nil
	})
	f.SetPollBindingLastOperationReaction(func(context.Context, *osb.BindingLastOperationRequest) (*osb.LastOperationResponse, error) {
		return &osb.LastOperationResponse{State: osb.StateFailed}, nil
	})
	f.SetGetBindingReaction(func(context.Context, *osb.GetBindingRequest) (*osb.GetBindingResponse, error) {
		return &osb.GetBindingResponse{}, nil
	})
	var c osb.Client = f
	errs := []error{}
	add := func(_ any, err error) { errs = append(errs, err) }
	add(c.GetCatalog(ctx))
	add(c.Provision(ctx, &osb.ProvisionRequest{}))
	add(c.Update(ctx, &osb.UpdateRequest{}))
	add(c.Deprovision(ctx, &osb.DeprovisionRequest{}))
	add(c.PollLastOperation(ctx, &osb.LastOperationRequest{}))
	add(c.GetInstance(ctx, &osb.GetInstanceRequest{}))
	add(c.Bind(ctx, &osb.BindRequest{}))
	add(c.Unbind(ctx, &osb.UnbindRequest{}))
	add(c.PollBindingLastOperation(ctx, &osb.BindingLastOperationRequest{}))
	add(c.GetBinding(ctx, &osb.GetBindingRequest{}))
	for i, err := range errs {
		if err != nil {
			t.Errorf("call %d: %v", i, err)
		}
	}
	var got []osb.Operation
	for _, a := range f.Actions() {
		got = append(got, a.Type)
	}
	want := osb.Operations()
	if len(got) != len(want) {
		t.Fatalf("actions %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("action %d = %s, want %s", i, got[i], want[i])
		}
	}
}

func TestReactorsRunBeforeTypedReactionsInOrder(t *testing.T) {
	f := NewClient()
	ctx := context.Background()
	var order []string
	f.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) {
		order = append(order, "typed")
		return &osb.BindResponse{}, nil
	})
	f.AddReactor(osb.OperationBind, func(_ context.Context, a Action) (bool, any, error) {
		order = append(order, "added")
		return a.Request.(*osb.BindRequest).BindingID == "handled-by-added", &osb.BindResponse{Async: true}, nil
	})
	f.PrependReactor(osb.OperationBind, func(context.Context, Action) (bool, any, error) {
		order = append(order, "prepended")
		return false, nil, nil
	})
	f.AddReactor(AllOperations, func(context.Context, Action) (bool, any, error) {
		order = append(order, "all")
		return false, nil, nil
	})
	if _, err := f.Bind(ctx, &osb.BindRequest{BindingID: "x"}); err != nil {
		t.Fatal(err)
	}
	if got := order; len(got) != 4 || got[0] != "prepended" || got[1] != "added" || got[2] != "all" || got[3] != "typed" {
		t.Fatalf("order = %v", got)
	}
	resp, err := f.Bind(ctx, &osb.BindRequest{BindingID: "handled-by-added"})
	if err != nil || !resp.Async {
		t.Fatalf("reactor answer = %+v %v", resp, err)
	}
	f.PrependReactor(osb.OperationUnbind, func(context.Context, Action) (bool, any, error) {
		return true, &osb.BindResponse{}, nil
	})
	if _, err := f.Unbind(ctx, &osb.UnbindRequest{}); err == nil {
		t.Error("a reactor returning the wrong type was accepted")
	}
	f.PrependReactor(osb.OperationUnbind, func(context.Context, Action) (bool, any, error) {
		return true, nil, errors.New("boom")
	})
	if _, err := f.Unbind(ctx, &osb.UnbindRequest{}); err == nil || err.Error() != "boom" {
		t.Errorf("reactor error = %v", err)
	}
}

func TestCreateFuncAndConcurrency(t *testing.T) {
	f := NewClient()
	create := f.CreateFunc()
	c, err := create(&osb.Config{URL: "http://broker", Name: "b1"})
	if err != nil || c != f {
		t.Fatalf("CreateFunc = %v, %v", c, err)
	}
	if cfgs := f.Configs(); len(cfgs) != 1 || cfgs[0].Name != "b1" {
		t.Fatalf("Configs = %+v", cfgs)
	}
	f.SetPollLastOperationReaction(func(context.Context, *osb.LastOperationRequest) (*osb.LastOperationResponse, error) {
		return &osb.LastOperationResponse{State: osb.StateInProgress}, nil
	})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				_, _ = c.PollLastOperation(context.Background(), &osb.LastOperationRequest{InstanceID: "i"})
				_ = f.Actions()
				if j%10 == 0 {
					f.PrependReactor(osb.OperationGetCatalog, func(context.Context, Action) (bool, any, error) { return false, nil, nil })
				}
			}
		}()
	}
	wg.Wait()
	if n := len(f.Actions()); n != 800 {
		t.Errorf("recorded %d actions, want 800", n)
	}
}
