package looptest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	clienttesting "k8s.io/client-go/testing"

	catalogscheme "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/scheme"
)

// serveLikeAPIServer makes the fake catalog API act as the API server does where the
// loops rely on it, so that a loop that writes a stale copy fails here too.
func (e *Env) serveLikeAPIServer() {
	e.Catalog.PrependReactor("create", "*", e.create)
	e.Catalog.PrependReactor("update", "*", e.update)
	e.Catalog.PrependReactor("patch", "*", e.checkPatchPrecondition)
}

// Put stores obj as it is, with a new resourceVersion, as the API server does when it
// changes an object on its own (marking it deleted, say). Refresh delivers it.
func (e *Env) Put(obj runtime.Object) {
	e.T.Helper()
	stored := obj.DeepCopyObject()
	gvr, m := e.resourceOf(stored)
	m.SetResourceVersion(e.nextResourceVersion())
	if err := e.Catalog.Tracker().Update(gvr, stored, m.GetNamespace()); err != nil {
		e.T.Fatal(err)
	}
}

// ChangeSpec stores obj, a changed copy of a stored catalog object, as a user's update
// would, with the next generation, as the API server sets it on a spec change. The
// informers deliver it; the write is not counted among the loop's.
func (e *Env) ChangeSpec(obj runtime.Object) {
	e.T.Helper()
	gvr, m := e.resourceOf(obj)
	m.SetGeneration(m.GetGeneration() + 1)
	if _, err := e.Catalog.Invokes(clienttesting.NewUpdateAction(gvr, m.GetNamespace(), obj), nil); err != nil {
		e.T.Fatal(err)
	}
	e.Refresh()
	e.ForgetWrites()
}

// resourceOf returns the resource of a catalog object, and its metadata.
func (e *Env) resourceOf(obj runtime.Object) (schema.GroupVersionResource, metav1.Object) {
	e.T.Helper()
	gvks, _, err := catalogscheme.Scheme.ObjectKinds(obj)
	if err != nil {
		e.T.Fatal(err)
	}
	gvr, _ := apimeta.UnsafeGuessKindToResource(gvks[0])
	m, err := apimeta.Accessor(obj)
	if err != nil {
		e.T.Fatal(err)
	}
	return gvr, m
}

func (e *Env) nextResourceVersion() string {
	e.rv++
	return strconv.Itoa(e.rv)
}

// create stores a new object with a UID ("uid-" and its name) and a resourceVersion.
func (e *Env) create(action clienttesting.Action) (bool, runtime.Object, error) {
	create := action.(clienttesting.CreateAction)
	if create.GetSubresource() != "" {
		return false, nil, nil
	}
	obj := create.GetObject().DeepCopyObject()
	m, err := apimeta.Accessor(obj)
	if err != nil {
		return true, nil, err
	}
	m.SetUID(types.UID("uid-" + m.GetName()))
	m.SetResourceVersion(e.nextResourceVersion())
	if err := e.Catalog.Tracker().Create(action.GetResource(), obj, create.GetNamespace()); err != nil {
		return true, nil, err
	}
	return true, obj.DeepCopyObject(), nil
}

// update refuses a write of an older resourceVersion, keeps the stored status on an
// update and all but the status on a status update, and stamps a new resourceVersion.
func (e *Env) update(action clienttesting.Action) (bool, runtime.Object, error) {
	update := action.(clienttesting.UpdateAction)
	gvr := action.GetResource()
	obj, err := apimeta.Accessor(update.GetObject())
	if err != nil {
		return true, nil, err
	}
	current, err := e.stored(gvr, obj.GetNamespace(), obj.GetName())
	if err == nil {
		err = conflict(gvr, current, obj.GetResourceVersion())
	}
	if err != nil {
		return true, nil, err
	}
	stored := update.GetObject().DeepCopyObject()
	if update.GetSubresource() == "status" {
		stored = current
		copyStatus(stored, update.GetObject().DeepCopyObject())
	} else {
		copyStatus(stored, current)
	}
	m, _ := apimeta.Accessor(stored)
	m.SetResourceVersion(e.nextResourceVersion())
	if err := e.Catalog.Tracker().Update(gvr, stored, m.GetNamespace()); err != nil {
		return true, nil, err
	}
	return true, stored.DeepCopyObject(), nil
}

// checkPatchPrecondition refuses a patch guarded by an older resourceVersion; the tracker
// applies the others.
func (e *Env) checkPatchPrecondition(action clienttesting.Action) (bool, runtime.Object, error) {
	patch := action.(clienttesting.PatchAction)
	var guard struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(patch.GetPatch(), &guard); err != nil {
		return true, nil, apierrors.NewBadRequest(err.Error())
	}
	if guard.Metadata.ResourceVersion == "" {
		return false, nil, nil
	}
	current, err := e.stored(action.GetResource(), patch.GetNamespace(), patch.GetName())
	if err == nil {
		err = conflict(action.GetResource(), current, guard.Metadata.ResourceVersion)
	}
	if err != nil {
		return true, nil, err
	}
	return false, nil, nil
}

// stored returns a copy of the stored object.
func (e *Env) stored(gvr schema.GroupVersionResource, namespace, name string) (runtime.Object, error) {
	current, err := e.Catalog.Tracker().Get(gvr, namespace, name)
	if err != nil {
		return nil, err
	}
	return current.DeepCopyObject(), nil
}

// conflict returns a conflict when a write based on resourceVersion would overwrite
// another version of current.
func conflict(gvr schema.GroupVersionResource, current runtime.Object, resourceVersion string) error {
	m, err := apimeta.Accessor(current)
	if err != nil {
		return err
	}
	if resourceVersion != m.GetResourceVersion() {
		return apierrors.NewConflict(gvr.GroupResource(), m.GetName(),
			fmt.Errorf("resourceVersion %s is not the stored %s", resourceVersion, m.GetResourceVersion()))
	}
	return nil
}

// copyStatus sets the status of dst, a pointer to a catalog object, to the status of src.
func copyStatus(dst, src runtime.Object) {
	to := reflect.ValueOf(dst).Elem().FieldByName("Status")
	from := reflect.ValueOf(src).Elem().FieldByName("Status")
	if !to.IsValid() || !from.IsValid() {
		panic(errors.New("looptest: " + reflect.TypeOf(dst).String() + " has no status"))
	}
	to.Set(from)
}
