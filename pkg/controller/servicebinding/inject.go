package servicebinding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// bound records that the broker holds the binding and writes what it answered.
func (c *Controller) bound(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved, answer *bindAnswer) (controller.Result, error) {
	status := &binding.Status
	operation.MadeBy(status.InProgressProperties, status.LastRequestIdentity)
	status.ExternalProperties = status.InProgressProperties
	status.AsyncOpInProgress = false
	status.OperationKey = ""
	return c.injectAnswer(ctx, binding, r, answer)
}

// injectAnswer records a bind or GET binding answer: what the broker asks of the
// platform goes to status.credentials, the credentials and the endpoints to the Secret.
// They are kept in memory until the Secret is written.
func (c *Controller) injectAnswer(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved, answer *bindAnswer) (controller.Result, error) {
	binding.Status.Credentials = answer.credentialsStatus()
	credentials := withEndpoints(answer.credentials, answer.endpoints)
	c.pending.put(binding, credentials)
	return c.inject(ctx, binding, r, credentials, answer.requestIdentity)
}

// inject writes the credentials into the Secret. A failed write keeps the credentials in
// memory and is retried; status says that the broker holds the binding. Transforms that
// do not fit the credentials, and credentials a Secret cannot hold, fail the binding:
// only a new binding can have other transforms, and the broker keeps the binding until
// this one is deleted.
func (c *Controller) inject(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved, credentials map[string]any, requestIdentity string) (controller.Result, error) {
	secrets := c.cfg.KubeClient.CoreV1()
	secret, err := buildSecret(ctx, secrets, binding, credentials, serviceType(r.class), r.broker.Name)
	if err == nil {
		err = writeSecret(ctx, secrets, binding, secret)
	}
	var (
		se      *secretError
		exists  *secretExistsError
		missing *missingSourceError
	)
	reason, message := conditions.ErrorInjectingBindResult, fmt.Sprintf("Writing the Secret %q failed: %v", secretName(binding), err)
	switch {
	case err == nil:
		binding.Status.IssuedFor = issuedFor(r)
		return c.injected(ctx, binding, requestIdentity)
	case errors.As(err, &se):
		return c.ops.Fail(ctx, binding, conditions.ErrorInjectingBindResult, se.Error())
	case apierrors.IsInvalid(err):
		return c.ops.Fail(ctx, binding, conditions.ErrorInjectingBindResult, invalidSecretMessage(err))
	case errors.As(err, &exists):
		reason, message = conditions.ErrorSecretExists, exists.Error()
	case errors.As(err, &missing):
		message = missing.Error()
	}
	return c.ops.NotReady(ctx, binding, reason, errors.New(message+" The broker holds the binding; the write is retried."))
}

// injected records a binding whose credentials are in the Secret.
func (c *Controller) injected(ctx context.Context, binding *v1beta1.ServiceBinding, requestIdentity string) (controller.Result, error) {
	status := &binding.Status
	name := secretName(binding)
	status.Binding = &v1beta1.LocalObjectReference{Name: name}
	status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
	status.ObservedRotationRequests = binding.Spec.RotationRequests
	status.CredentialsIssuedAt = &metav1.Time{Time: c.ops.Now()}
	c.ops.End(binding)
	conditions.ClearFailed(&status.Conditions)
	if _, err := c.ops.Report(ctx, binding, true, conditions.InjectedBindResult,
		fmt.Sprintf("The broker bound the instance (request %s); the credentials are in the Secret %q.", requestIdentity, name)); err != nil {
		return controller.Result{}, err
	}
	c.pending.forget(binding)
	return controller.Result{}, nil
}

// injectPending finishes a bind the broker completed whose credentials are not in the
// Secret yet: from memory, from the broker (GET binding) when it can hand them out again,
// or else by unbinding and binding again.
func (c *Controller) injectPending(ctx context.Context, binding *v1beta1.ServiceBinding) (controller.Result, error) {
	r, err := c.resolve(binding)
	if err == nil && (r.broker == nil || r.known == nil) {
		return c.ops.NotReady(ctx, binding, conditions.ErrorInstanceNotReady,
			fmt.Errorf("the broker of the instance %q is not known", r.instance.Name))
	}
	if err == nil {
		err = missingCatalogObject(r)
	}
	if err != nil {
		return c.unsendable(ctx, binding, err)
	}
	if credentials, ok := c.pending.get(binding); ok {
		return c.inject(ctx, binding, r, credentials, binding.Status.LastRequestIdentity)
	}
	owned, err := ownedSecret(ctx, c.cfg.KubeClient.CoreV1(), binding)
	switch {
	case err != nil:
		return controller.Result{}, err
	case owned != nil:
		return c.injected(ctx, binding, binding.Status.LastRequestIdentity)
	case !c.asyncBindings(r):
		return c.startOrphanMitigation(ctx, binding, conditions.BindResultLost,
			"The credentials were lost before they were written to the Secret, and the broker cannot hand them out again.")
	}
	return c.fetchCredentials(ctx, binding, r)
}

// fetchCredentials gets the credentials of a finished binding from the broker.
func (c *Controller) fetchCredentials(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved) (controller.Result, error) {
	status := &binding.Status
	client, err := c.cfg.BrokerClients.ClientFor(ctx, r.broker)
	if err != nil {
		return c.ops.BrokerUnavailable(ctx, binding, conditions.FetchingBindingFailed, err)
	}
	resp, err := client.GetBinding(ctx, &osb.GetBindingRequest{
		InstanceID:          r.instance.Spec.ExternalID,
		BindingID:           brokerBindingID(binding),
		ServiceID:           r.known.ClusterServiceClassExternalID,
		PlanID:              r.known.ClusterServicePlanExternalID,
		OriginatingIdentity: operation.Identity(requester(status)),
	})
	if err != nil {
		return c.ops.Failed(ctx, binding, operation.Call{Op: osb.OperationGetBinding, Broker: r.broker.Key(), Retried: conditions.FetchingBindingFailed}, err)
	}
	status.LastRequestIdentity = resp.RequestIdentity
	return c.injectAnswer(ctx, binding, r, getBindingAnswerOf(resp))
}

// requester is the user whose change caused the operation in progress.
func requester(status *v1beta1.ServiceBindingStatus) *v1beta1.UserInfo {
	if props := status.InProgressProperties; props != nil {
		return props.UserInfo
	}
	return nil
}

// bindAnswer is what a bind or GET binding answered, as far as the binding keeps it.
type bindAnswer struct {
	credentials                     map[string]any
	endpoints                       []osb.Endpoint
	metadata                        *osb.BindingMetadata
	syslogDrainURL, routeServiceURL *string
	volumeMounts                    []osb.VolumeMount
	requestIdentity                 string
}

// bindAnswerOf returns what a synchronous bind answered.
func bindAnswerOf(resp *osb.BindResponse) *bindAnswer {
	return &bindAnswer{
		credentials: resp.Credentials, endpoints: resp.Endpoints, metadata: resp.Metadata,
		syslogDrainURL: resp.SyslogDrainURL, routeServiceURL: resp.RouteServiceURL, volumeMounts: resp.VolumeMounts,
		requestIdentity: resp.RequestIdentity,
	}
}

// getBindingAnswerOf returns what a GET binding answered.
func getBindingAnswerOf(resp *osb.GetBindingResponse) *bindAnswer {
	return &bindAnswer{
		credentials: resp.Credentials, endpoints: resp.Endpoints, metadata: resp.Metadata,
		syslogDrainURL: resp.SyslogDrainURL, routeServiceURL: resp.RouteServiceURL, volumeMounts: resp.VolumeMounts,
		requestIdentity: resp.RequestIdentity,
	}
}

// credentialsStatus is what status.credentials records of the answer, or nil when the
// answer has none of it: the expiry times it could parse, the syslog drain and route
// service URLs with any password hidden, and the volume mounts without their
// mount_config, which may hold credentials (an SMB share's password, for one). No
// credential value goes to status.
func (a *bindAnswer) credentialsStatus() *v1beta1.BindingCredentialsStatus {
	s := &v1beta1.BindingCredentialsStatus{
		SyslogDrainURL:  redactedURL(a.syslogDrainURL),
		RouteServiceURL: redactedURL(a.routeServiceURL),
	}
	if t, ok := a.metadata.ExpiresAtTime(); ok {
		s.ExpiresAt = &metav1.Time{Time: t}
	}
	if t, ok := a.metadata.RenewBeforeTime(); ok {
		s.RenewBefore = &metav1.Time{Time: t}
	}
	for _, m := range a.volumeMounts {
		m.Device.MountConfig = nil
		raw, err := json.Marshal(m)
		if err != nil {
			continue // cannot happen: the fields left are strings
		}
		s.VolumeMounts = append(s.VolumeMounts, runtime.RawExtension{Raw: raw})
	}
	if s.ExpiresAt == nil && s.RenewBefore == nil && s.SyslogDrainURL == "" && s.RouteServiceURL == "" && len(s.VolumeMounts) == 0 {
		return nil
	}
	return s
}

// redactedURL returns the URL with its password, if any, replaced by "xxxxx"; "" when
// there is none or it cannot be parsed, as it then cannot be told apart from a secret.
func redactedURL(raw *string) string {
	if raw == nil {
		return ""
	}
	u, err := url.Parse(*raw)
	if err != nil {
		return ""
	}
	return u.Redacted()
}
