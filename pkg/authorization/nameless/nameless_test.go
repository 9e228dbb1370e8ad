package nameless

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

var controller = &user.DefaultInfo{Name: "system:serviceaccount:catalog:controller-manager", Groups: []string{"system:serviceaccounts"}}

// answer is what the fake authorizer says to one question.
type answer struct {
	decision authorizer.Decision
	reason   string
	err      error
}

// recorder is a fake wrapped authorizer: it records every question and answers the
// nameless one and the named one as told.
type recorder struct {
	authorizer.Authorizer
	nameless, named answer
	questions       []authorizer.AttributesRecord
}

func (r *recorder) Authorize(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	r.questions = append(r.questions, record(a))
	if a.GetName() == "" {
		return r.nameless.decision, r.nameless.reason, r.nameless.err
	}
	return r.named.decision, r.named.reason, r.named.err
}

// record copies any attributes into a record, so that questions compare with cmp.
func record(a authorizer.Attributes) authorizer.AttributesRecord {
	r := withoutName(a)
	r.Name = a.GetName()
	return r
}

func statusUpdate(name string) authorizer.AttributesRecord {
	return authorizer.AttributesRecord{
		User: controller, Verb: "update", Namespace: "team-a",
		APIGroup: "servicecatalog.k8s.io", APIVersion: "v1beta1",
		Resource: "serviceinstances", Subresource: "status", Name: name, ResourceRequest: true,
		Path: "/apis/servicecatalog.k8s.io/v1beta1/namespaces/team-a/serviceinstances/" + name + "/status",
	}
}

func nameless(a authorizer.AttributesRecord) authorizer.AttributesRecord {
	a.Name = ""
	return a
}

func TestNamedRequests(t *testing.T) {
	denied := answer{authorizer.DecisionDeny, "denied by policy", nil}
	failed := answer{authorizer.DecisionNoOpinion, "", errors.New("SubjectAccessReview failed")}
	allowed := answer{authorizer.DecisionAllow, "allowed by a role", nil}
	noOpinion := answer{authorizer.DecisionNoOpinion, "", nil}
	req := statusUpdate("db")
	for _, c := range []struct {
		name            string
		nameless, named answer
		want            answer
		wantQuestions   []authorizer.AttributesRecord
	}{
		{"allowed without the name", allowed, denied, allowed, []authorizer.AttributesRecord{nameless(req)}},
		{"no opinion without the name, allowed with it", noOpinion, allowed, allowed, []authorizer.AttributesRecord{nameless(req), req}},
		{"denied without the name, allowed with it", denied, allowed, allowed, []authorizer.AttributesRecord{nameless(req), req}},
		{"denied both ways keeps the named reason", denied, answer{authorizer.DecisionDeny, "no rule for db", nil},
			answer{authorizer.DecisionDeny, "no rule for db", nil}, []authorizer.AttributesRecord{nameless(req), req}},
		{"an error without the name", failed, allowed, allowed, []authorizer.AttributesRecord{nameless(req), req}},
		{"an allow with an error without the name is not trusted", answer{authorizer.DecisionAllow, "", errors.New("partial")}, denied,
			denied, []authorizer.AttributesRecord{nameless(req), req}},
		{"an error with the name is returned", noOpinion, failed, failed, []authorizer.AttributesRecord{nameless(req), req}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fake := &recorder{nameless: c.nameless, named: c.named}
			decision, reason, err := New(fake).Authorize(context.Background(), req)
			if decision != c.want.decision || reason != c.want.reason || !errors.Is(err, c.want.err) {
				t.Errorf("Authorize = (%v, %q, %v), want (%v, %q, %v)", decision, reason, err, c.want.decision, c.want.reason, c.want.err)
			}
			if diff := cmp.Diff(c.wantQuestions, fake.questions); diff != "" {
				t.Errorf("questions asked (-want +got):\n%s", diff)
			}
		})
	}
}

// resourceNamesOnly allows updating the status of instance x only, as an RBAC rule with
// resourceNames: [x] does: it never matches a request without a name.
func resourceNamesOnly(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	if a.GetName() == "x" && a.GetResource() == "serviceinstances" && a.GetSubresource() == "status" {
		return authorizer.DecisionAllow, "resourceNames: [x]", nil
	}
	return authorizer.DecisionNoOpinion, "", nil
}

func TestResourceNamesStayRestricted(t *testing.T) {
	a := New(authorizer.AuthorizerFunc(resourceNamesOnly))
	for name, want := range map[string]authorizer.Decision{"x": authorizer.DecisionAllow, "y": authorizer.DecisionNoOpinion} {
		if got, _, err := a.Authorize(context.Background(), statusUpdate(name)); got != want || err != nil {
			t.Errorf("Authorize(status of %s) = (%v, %v), want %v", name, got, err, want)
		}
	}
}

func TestPassThrough(t *testing.T) {
	for _, c := range []struct {
		name string
		req  authorizer.AttributesRecord
	}{
		{"a request without a name", nameless(statusUpdate("db"))},
		{"a non-resource request", authorizer.AttributesRecord{User: controller, Verb: "get", Path: "/metrics"}},
		{"a non-resource request with a name set", authorizer.AttributesRecord{User: controller, Verb: "get", Path: "/metrics", Name: "odd"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fake := &recorder{nameless: answer{authorizer.DecisionDeny, "nameless", nil}, named: answer{authorizer.DecisionDeny, "named", nil}}
			decision, reason, _ := New(fake).Authorize(context.Background(), c.req)
			if want := map[bool]string{true: "nameless", false: "named"}[c.req.Name == ""]; decision != authorizer.DecisionDeny || reason != want {
				t.Errorf("Authorize = (%v, %q), want the wrapped answer (Deny, %q)", decision, reason, want)
			}
			if diff := cmp.Diff([]authorizer.AttributesRecord{c.req}, fake.questions); diff != "" {
				t.Errorf("questions asked (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNamelessQuestionKeepsSelectors(t *testing.T) {
	fieldReq, err := fields.ParseSelector("spec.clusterServiceClassName=db")
	if err != nil {
		t.Fatal(err)
	}
	labelReq, err := labels.NewRequirement("tier", selection.Equals, []string{"gold"})
	if err != nil {
		t.Fatal(err)
	}
	labelErr := errors.New("bad label selector")
	req := statusUpdate("db")
	req.Verb = "get"
	req.FieldSelectorRequirements = fieldReq.Requirements()
	req.LabelSelectorRequirements = labels.Requirements{*labelReq}
	req.LabelSelectorParsingErr = labelErr
	fake := &recorder{nameless: answer{decision: authorizer.DecisionAllow}}
	if _, _, err := New(fake).Authorize(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	want := []authorizer.AttributesRecord{nameless(req)}
	if diff := cmp.Diff(want, fake.questions, cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) && errors.Is(b, a) })); diff != "" {
		t.Errorf("questions asked (-want +got):\n%s", diff)
	}
}

func TestConditionsAwareAuthorizeMatchesAuthorize(t *testing.T) {
	fake := &recorder{nameless: answer{authorizer.DecisionDeny, "nameless", nil}, named: answer{authorizer.DecisionAllow, "named", nil}}
	got := New(fake).ConditionsAwareAuthorize(context.Background(), statusUpdate("db"))
	if !got.IsAllow() || got.Reason() != "named" || got.Error() != nil {
		t.Errorf("ConditionsAwareAuthorize = %s (reason %q, error %v), want the named Allow", got, got.Reason(), got.Error())
	}
}
