// Package fake provides a fake osb.Client for controller unit tests. It
// records every call as an Action and answers through reactions: per-operation
// typed functions set with Set*Reaction, and generic reactors added with
// PrependReactor/AddReactor, which are consulted first. A call with no reaction
// returns an *UnexpectedActionError, so a test notices calls it did not plan.
//
// The fake is safe for concurrent use.
package fake

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Action is one recorded call.
type Action struct {
	// Type is the operation called.
	Type osb.Operation
	// Request is a shallow copy of the request struct (for example
	// *osb.ProvisionRequest); nil for GetCatalog.
	Request any
}

// ReactionFunc is a generic reactor. It returns handled=false to let the next
// reactor (and finally the typed reaction) answer. When handled, response
// must be the operation's response type (for example *osb.ProvisionResponse)
// or nil.
type ReactionFunc func(ctx context.Context, action Action) (handled bool, response any, err error)

// Typed reactions, one per operation.
type (
	// GetCatalogReaction answers GetCatalog.
	GetCatalogReaction func(ctx context.Context) (*osb.CatalogResponse, error)
	// ProvisionReaction answers Provision.
	ProvisionReaction func(ctx context.Context, r *osb.ProvisionRequest) (*osb.ProvisionResponse, error)
	// UpdateReaction answers Update.
	UpdateReaction func(ctx context.Context, r *osb.UpdateRequest) (*osb.UpdateResponse, error)
	// DeprovisionReaction answers Deprovision.
	DeprovisionReaction func(ctx context.Context, r *osb.DeprovisionRequest) (*osb.DeprovisionResponse, error)
	// PollLastOperationReaction answers PollLastOperation.
	PollLastOperationReaction func(ctx context.Context, r *osb.LastOperationRequest) (*osb.LastOperationResponse, error)
	// GetInstanceReaction answers GetInstance.
	GetInstanceReaction func(ctx context.Context, r *osb.GetInstanceRequest) (*osb.GetInstanceResponse, error)
	// BindReaction answers Bind.
	BindReaction func(ctx context.Context, r *osb.BindRequest) (*osb.BindResponse, error)
	// UnbindReaction answers Unbind.
	UnbindReaction func(ctx context.Context, r *osb.UnbindRequest) (*osb.UnbindResponse, error)
	// PollBindingLastOperationReaction answers PollBindingLastOperation.
	PollBindingLastOperationReaction func(ctx context.Context, r *osb.BindingLastOperationRequest) (*osb.LastOperationResponse, error)
	// GetBindingReaction answers GetBinding.
	GetBindingReaction func(ctx context.Context, r *osb.GetBindingRequest) (*osb.GetBindingResponse, error)
)

// UnexpectedActionError is returned for a call that has no reaction.
type UnexpectedActionError struct {
	// Action is the unplanned call.
	Action Action
}

// Error names the operation.
func (e *UnexpectedActionError) Error() string {
	return fmt.Sprintf("fake osb client: unexpected %s call (no reaction configured)", e.Action.Type)
}

// Client is a fake osb.Client.
type Client struct {
	mu       sync.Mutex
	actions  []Action
	configs  []osb.Config
	reactors map[osb.Operation][]ReactionFunc
	typed    map[osb.Operation]any
}

var _ osb.Client = (*Client)(nil)

// NewClient returns a fake with no reactions.
func NewClient() *Client {
	return &Client{reactors: map[osb.Operation][]ReactionFunc{}, typed: map[osb.Operation]any{}}
}

// CreateFunc returns an osb.CreateFunc that records the config it is given
// (see Configs) and returns this fake.
func (c *Client) CreateFunc() osb.CreateFunc {
	return func(cfg *osb.Config) (osb.Client, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if cfg != nil {
			c.configs = append(c.configs, *cfg)
		}
		return c, nil
	}
}

// Configs returns the configs passed to CreateFunc, oldest first.
func (c *Client) Configs() []osb.Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.configs)
}

// Actions returns the recorded calls, oldest first.
func (c *Client) Actions() []Action {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.actions)
}

// ActionsOf returns the recorded calls of one operation.
func (c *Client) ActionsOf(op osb.Operation) []Action {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Action
	for _, a := range c.actions {
		if a.Type == op {
			out = append(out, a)
		}
	}
	return out
}

// ClearActions forgets the recorded calls.
func (c *Client) ClearActions() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.actions = nil
}

// PrependReactor adds a generic reactor for op, consulted before the ones
// already added. Use "*" as op to react to every operation.
func (c *Client) PrependReactor(op osb.Operation, fn ReactionFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reactors[op] = append([]ReactionFunc{fn}, c.reactors[op]...)
}

// AddReactor adds a generic reactor for op, consulted after the ones already
// added. Use "*" as op to react to every operation.
func (c *Client) AddReactor(op osb.Operation, fn ReactionFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reactors[op] = append(c.reactors[op], fn)
}

// AllOperations is the reactor key that matches every operation.
const AllOperations osb.Operation = "*"

// setTyped stores a typed reaction; a nil one removes it.
func (c *Client) setTyped(op osb.Operation, fn any, isNil bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if isNil {
		delete(c.typed, op)
		return
	}
	c.typed[op] = fn
}

// SetGetCatalogReaction sets the typed reaction for GetCatalog.
func (c *Client) SetGetCatalogReaction(fn GetCatalogReaction) {
	c.setTyped(osb.OperationGetCatalog, fn, fn == nil)
}

// SetProvisionReaction sets the typed reaction for Provision.
func (c *Client) SetProvisionReaction(fn ProvisionReaction) {
	c.setTyped(osb.OperationProvision, fn, fn == nil)
}

// SetUpdateReaction sets the typed reaction for Update.
func (c *Client) SetUpdateReaction(fn UpdateReaction) { c.setTyped(osb.OperationUpdate, fn, fn == nil) }

// SetDeprovisionReaction sets the typed reaction for Deprovision.
func (c *Client) SetDeprovisionReaction(fn DeprovisionReaction) {
	c.setTyped(osb.OperationDeprovision, fn, fn == nil)
}

// SetPollLastOperationReaction sets the typed reaction for PollLastOperation.
func (c *Client) SetPollLastOperationReaction(fn PollLastOperationReaction) {
	c.setTyped(osb.OperationLastOperation, fn, fn == nil)
}

// SetGetInstanceReaction sets the typed reaction for GetInstance.
func (c *Client) SetGetInstanceReaction(fn GetInstanceReaction) {
	c.setTyped(osb.OperationGetInstance, fn, fn == nil)
}

// SetBindReaction sets the typed reaction for Bind.
func (c *Client) SetBindReaction(fn BindReaction) { c.setTyped(osb.OperationBind, fn, fn == nil) }

// SetUnbindReaction sets the typed reaction for Unbind.
func (c *Client) SetUnbindReaction(fn UnbindReaction) { c.setTyped(osb.OperationUnbind, fn, fn == nil) }

// SetPollBindingLastOperationReaction sets the typed reaction for PollBindingLastOperation.
func (c *Client) SetPollBindingLastOperationReaction(fn PollBindingLastOperationReaction) {
	c.setTyped(osb.OperationBindingLastOperation, fn, fn == nil)
}

// SetGetBindingReaction sets the typed reaction for GetBinding.
func (c *Client) SetGetBindingReaction(fn GetBindingReaction) {
	c.setTyped(osb.OperationGetBinding, fn, fn == nil)
}

// record stores the action and returns the reactors to try and the typed
// reaction, read under the lock so reactions may be changed concurrently.
func (c *Client) record(a Action) ([]ReactionFunc, any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.actions = append(c.actions, a)
	chain := append(slices.Clone(c.reactors[a.Type]), c.reactors[AllOperations]...)
	return chain, c.typed[a.Type]
}

// invoke records a and answers it. typedCall runs the typed reaction.
func invoke[Resp any](ctx context.Context, c *Client, a Action, typedCall func(fn any) (*Resp, error)) (*Resp, error) {
	chain, typed := c.record(a)
	for _, r := range chain {
		handled, resp, err := r(ctx, a)
		if !handled {
			continue
		}
		if resp == nil {
			return nil, err
		}
		out, ok := resp.(*Resp)
		if !ok {
			return nil, fmt.Errorf("fake osb client: reactor for %s returned %T, want %T", a.Type, resp, out)
		}
		return out, err
	}
	if typed == nil {
		return nil, &UnexpectedActionError{Action: a}
	}
	return typedCall(typed)
}

// clone returns a shallow copy of a request so later changes by the caller do
// not alter what was recorded.
func clone[T any](r *T) *T {
	if r == nil {
		return nil
	}
	cp := *r
	return &cp
}

// GetCatalog records the call and answers it.
func (c *Client) GetCatalog(ctx context.Context) (*osb.CatalogResponse, error) {
	return invoke(ctx, c, Action{Type: osb.OperationGetCatalog}, func(fn any) (*osb.CatalogResponse, error) {
		return fn.(GetCatalogReaction)(ctx)
	})
}

// Provision records the call and answers it.
func (c *Client) Provision(ctx context.Context, r *osb.ProvisionRequest) (*osb.ProvisionResponse, error) {
	r = clone(r)
	return invoke(ctx, c, Action{Type: osb.OperationProvision, Request: r}, func(fn any) (*osb.ProvisionResponse, error) {
		return fn.(ProvisionReaction)(ctx, r)
	})
}

// Update records the call and answers it.
func (c *Client) Update(ctx context.Context, r *osb.UpdateRequest) (*osb.UpdateResponse, error) {
	r = clone(r)
	return invoke(ctx, c, Action{Type: osb.OperationUpdate, Request: r}, func(fn any) (*osb.UpdateResponse, error) {
		return fn.(UpdateReaction)(ctx, r)
	})
}

// Deprovision records the call and answers it.
func (c *Client) Deprovision(ctx context.Context, r *osb.DeprovisionRequest) (*osb.DeprovisionResponse, error) {
	r = clone(r)
	return invoke(ctx, c, Action{Type: osb.OperationDeprovision, Request: r}, func(fn any) (*osb.DeprovisionResponse, error) {
		return fn.(DeprovisionReaction)(ctx, r)
	})
}

// PollLastOperation records the call and answers it.
func (c *Client) PollLastOperation(ctx context.Context, r *osb.LastOperationRequest) (*osb.LastOperationResponse, error) {
	r = clone(r)
	return invoke(ctx, c, Action{Type: osb.OperationLastOperation, Request: r}, func(fn any) (*osb.LastOperationResponse, error) {
		return fn.(PollLastOperationReaction)(ctx, r)
	})
}

// GetInstance records the call and answers it.
func (c *Client) GetInstance(ctx context.Context, r *osb.GetInstanceRequest) (*osb.GetInstanceResponse, error) {
	r = clone(r)
	return invoke(ctx, c, Action{Type: osb.OperationGetInstance, Request: r}, func(fn any) (*osb.GetInstanceResponse, error) {
		return fn.(GetInstanceReaction)(ctx, r)
	})
}

// Bind records the call and answers it.
func (c *Client) Bind(ctx context.Context, r *osb.BindRequest) (*osb.BindResponse, error) {
	r = clone(r)
	return invoke(ctx, c, Action{Type: osb.OperationBind, Request: r}, func(fn any) (*osb.BindResponse, error) {
		return fn.(BindReaction)(ctx, r)
	})
}

// Unbind records the call and answers it.
func (c *Client) Unbind(ctx context.Context, r *osb.UnbindRequest) (*osb.UnbindResponse, error) {
	r = clone(r)
	return invoke(ctx, c, Action{Type: osb.OperationUnbind, Request: r}, func(fn any) (*osb.UnbindResponse, error) {
		return fn.(UnbindReaction)(ctx, r)
	})
}

// PollBindingLastOperation records the call and answers it.
func (c *Client) PollBindingLastOperation(ctx context.Context, r *osb.BindingLastOperationRequest) (*osb.LastOperationResponse, error) {
	r = clone(r)
	return invoke(ctx, c, Action{Type: osb.OperationBindingLastOperation, Request: r}, func(fn any) (*osb.LastOperationResponse, error) {
		return fn.(PollBindingLastOperationReaction)(ctx, r)
	})
}

// GetBinding records the call and answers it.
func (c *Client) GetBinding(ctx context.Context, r *osb.GetBindingRequest) (*osb.GetBindingResponse, error) {
	r = clone(r)
	return invoke(ctx, c, Action{Type: osb.OperationGetBinding, Request: r}, func(fn any) (*osb.GetBindingResponse, error) {
		return fn.(GetBindingReaction)(ctx, r)
	})
}
