// Package nameless wraps an authorizer so that a request naming an object is first asked
// without the name. By the convention of Kubernetes authorizers (RBAC among them) a
// permission granted without a name covers every name, while a rule limited to
// resourceNames never matches a nameless request. A delegating authorizer caches its
// answers by the full attributes, so the nameless answer serves every object of a kind
// and saves a SubjectAccessReview per object name.
package nameless

import (
	"context"

	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// New returns an authorizer that answers a resource request naming an object with Allow
// when the wrapped authorizer allows the same request without the name, and otherwise
// with the wrapped authorizer's answer to the named request, unchanged. Non-resource
// requests and requests without a name go to the wrapped authorizer as they are.
//
// It relies on the wrapped authorizer never denying a name that it allows namelessly,
// which holds for RBAC, ABAC, the Node authorizer and the always-allow authorizers.
func New(wrapped authorizer.Authorizer) authorizer.Authorizer {
	return &namelessFirst{wrapped: wrapped}
}

type namelessFirst struct {
	wrapped authorizer.Authorizer
}

// Authorize implements authorizer.Authorizer.
func (n *namelessFirst) Authorize(ctx context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	if !a.IsResourceRequest() || a.GetName() == "" {
		return n.wrapped.Authorize(ctx, a)
	}
	// A Deny or an error here says nothing about the name: a resourceNames rule may
	// still allow it, so the named question decides.
	if decision, reason, err := n.wrapped.Authorize(ctx, withoutName(a)); decision == authorizer.DecisionAllow && err == nil {
		return decision, reason, nil
	}
	return n.wrapped.Authorize(ctx, a)
}

// ConditionsAwareAuthorize implements authorizer.Authorizer as an authorizer that is not
// conditions-aware: the delegating (webhook) authorizer it wraps is not either.
func (n *namelessFirst) ConditionsAwareAuthorize(ctx context.Context, a authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(n.Authorize(ctx, a))
}

// EvaluateConditions implements authorizer.Authorizer; it fails closed, as an authorizer
// without conditions must.
func (n *namelessFirst) EvaluateConditions(context.Context, authorizer.ConditionsAwareDecision, authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return authorizer.DecisionDeny, "", authorizer.ErrorConditionEvaluationNotSupported
}

// withoutName copies the attributes with an empty name, keeping everything else,
// the field and label selector requirements and their parsing errors included.
func withoutName(a authorizer.Attributes) authorizer.AttributesRecord {
	fieldSelector, fieldErr := a.GetFieldSelector()
	labelSelector, labelErr := a.GetLabelSelector()
	return authorizer.AttributesRecord{
		User:                      a.GetUser(),
		Verb:                      a.GetVerb(),
		Namespace:                 a.GetNamespace(),
		APIGroup:                  a.GetAPIGroup(),
		APIVersion:                a.GetAPIVersion(),
		Resource:                  a.GetResource(),
		Subresource:               a.GetSubresource(),
		ResourceRequest:           a.IsResourceRequest(),
		Path:                      a.GetPath(),
		FieldSelectorRequirements: fieldSelector,
		FieldSelectorParsingErr:   fieldErr,
		LabelSelectorRequirements: labelSelector,
		LabelSelectorParsingErr:   labelErr,
	}
}
