package registry

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/validation"
)

// Intervene changes the status of obj, a stored instance or binding, as an Intervention
// by user asks, and returns what to tell the user. An error refuses the request.
type Intervene func(obj runtime.Object, i *sc.Intervention, user string, now time.Time) (string, error)

// InterventionREST serves a subresource (retry, abandon) that a user creates with an
// Intervention to act on an object's broker operation. Who may is RBAC's affair: create
// on <resource>/<subresource>. It writes the object's status, as the status subresource
// does, so the controller sees the request in its next sync.
type InterventionREST struct {
	status    *genericregistry.Store
	intervene Intervene
}

// NewInterventionREST serves a subresource that writes through the status store.
func NewInterventionREST(status *genericregistry.Store, intervene Intervene) *InterventionREST {
	return &InterventionREST{status: status, intervene: intervene}
}

var (
	_ rest.NamedCreater = &InterventionREST{}
	_ rest.Storage      = &InterventionREST{}
)

// New returns an empty Intervention.
func (r *InterventionREST) New() runtime.Object { return &sc.Intervention{} }

// Destroy releases nothing: the main store owns the storage.
func (r *InterventionREST) Destroy() {}

// Create applies the Intervention to the object name.
func (r *InterventionREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	i, ok := obj.(*sc.Intervention)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not an Intervention: %T", obj))
	}
	if errs := validation.ValidateIntervention(i, name); len(errs) > 0 {
		return nil, apierrors.NewInvalid(sc.Kind("Intervention"), name, errs)
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj); err != nil {
			return nil, err
		}
	}
	user := "unknown"
	if u, ok := genericapirequest.UserFrom(ctx); ok && u != nil {
		user = u.GetName()
	}
	var message string
	update := rest.DefaultUpdatedObjectInfo(nil, func(_ context.Context, _, old runtime.Object) (runtime.Object, error) {
		changed := old.DeepCopyObject()
		var err error
		message, err = r.intervene(changed, i, user, time.Now())
		return changed, err
	})
	_, _, err := r.status.Update(ctx, name, update, rest.ValidateAllObjectFunc, rest.ValidateAllObjectUpdateFunc, false,
		&metav1.UpdateOptions{DryRun: options.DryRun, FieldManager: options.FieldManager})
	if err != nil {
		return nil, err
	}
	return &metav1.Status{Status: metav1.StatusSuccess, Code: 201, Message: message}, nil
}

// Target is what retry and abandon change in the status of an instance or a binding.
type Target struct {
	// Resource names the kind for kubectl: "serviceinstance", "servicebinding".
	Resource string
	// Meta is the object's metadata.
	Meta *metav1.ObjectMeta
	// Operation records the object's broker operation.
	Operation *sc.OperationStatus
	// Conditions are the object's conditions.
	Conditions *[]metav1.Condition
	// GaveUp tells whether the controller stopped trying to delete the object at the
	// broker; TryAgain undoes that.
	GaveUp   func() bool
	TryAgain func()
}

// Retry makes the object's next broker attempt due now, and resumes a delete the
// controller stopped trying.
func Retry(t Target) string {
	t.Operation.Attempts.NextAttemptTime = nil
	if t.GaveUp() {
		t.TryAgain()
		apimeta.RemoveStatusCondition(t.Conditions, v1beta1.ConditionFailed)
		return fmt.Sprintf("The controller tries again to delete %s %s at the broker.", t.Resource, t.Meta.Name)
	}
	if t.Operation.Attempts.Count == 0 {
		return fmt.Sprintf("%s %s has no failed broker operation to retry.", t.Resource, t.Meta.Name)
	}
	return fmt.Sprintf("The controller tries the broker operation of %s %s again now.", t.Resource, t.Meta.Name)
}

// Abandon records that user asked to let the object, which must be being deleted, go
// without the broker.
func Abandon(t Target, i *sc.Intervention, user string, now time.Time) (string, error) {
	if t.Meta.DeletionTimestamp == nil {
		return "", apierrors.NewConflict(sc.Resource(t.Resource+"s"), t.Meta.Name, fmt.Errorf(
			"only a %s that is being deleted can be abandoned: delete it first (kubectl delete %s %s -n %s)",
			t.Resource, t.Resource, t.Meta.Name, t.Meta.Namespace))
	}
	if t.Operation.Abandoned == nil {
		t.Operation.Abandoned = &sc.Abandonment{User: user, Time: metav1.NewTime(now), Reason: i.Reason}
	}
	return fmt.Sprintf("The controller lets %s %s go without calling the broker again; the broker may still hold what it stood for.",
		t.Resource, t.Meta.Name), nil
}
