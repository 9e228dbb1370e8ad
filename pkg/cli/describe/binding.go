package describe

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/cli/clients"
	"github.com/kube-service-catalog/catalog/pkg/cli/readiness"
	"github.com/kube-service-catalog/catalog/pkg/cli/secrets"
)

// Binding writes the story of the binding name in namespace.
func Binding(ctx context.Context, set *clients.Set, namespace, name string, now time.Time, w io.Writer) error {
	b, err := set.Catalog.ServicecatalogV1beta1().ServiceBindings(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	p := newPage(w, now)
	p.header(&b.ObjectMeta, b.Status.Conditions, b.Spec.UserInfo)
	i, err := set.Catalog.ServicecatalogV1beta1().ServiceInstances(b.InstanceNamespace()).Get(ctx, b.Spec.InstanceRef.Name, metav1.GetOptions{})
	p.field("Instance", instanceOf(b, i, err))
	if err == nil {
		if err := p.bindingProvenance(ctx, set, b, i); err != nil {
			return err
		}
	}
	p.field("Secret", fmt.Sprintf("%s (keys: %s)", secrets.Name(b), secretKeys(ctx, set.Kube, namespace, secrets.Name(b))))
	p.credentials(b)
	p.rotation(b)
	if b.DeletionTimestamp != nil {
		p.field("Unbind Status", string(b.Status.UnbindStatus))
	}
	p.operation(string(b.Status.CurrentOperation), &b.Status.OperationStatus)
	p.conditions(b.Status.Conditions)
	p.events(ctx, set.Kube, namespace, "ServiceBinding", name, b.UID)
	return p.flush()
}

// instanceOf names b's instance and says where it stands: i, or err when it could not
// be read.
func instanceOf(b *v1beta1.ServiceBinding, i *v1beta1.ServiceInstance, err error) string {
	name := b.Spec.InstanceRef.Name
	if b.SharesInstance() {
		name = b.InstanceNamespace() + "/" + name
	}
	if err != nil {
		return fmt.Sprintf("%s (<%s>)", name, reasonOf(err))
	}
	return fmt.Sprintf("%s (%s)", name, readiness.Word(i.Status.Conditions, i.DeletionTimestamp != nil))
}

// bindingProvenance writes which version of its instance i's plan's catalog entry b was
// made with.
func (p *page) bindingProvenance(ctx context.Context, set *clients.Set, b *v1beta1.ServiceBinding, i *v1beta1.ServiceInstance) error {
	made := b.Status.ExternalProperties
	if made == nil || made.PlanDigest == "" {
		return nil
	}
	plan, err := resolvedPlan(ctx, set, i)
	if err != nil {
		return err
	}
	p.madeWith(made, planExternalName(i), plan)
	return nil
}

// credentials writes what the broker handed out and when.
func (p *page) credentials(b *v1beta1.ServiceBinding) {
	st := &b.Status
	id := st.BindingID
	if id != "" && id != b.Spec.ExternalID {
		id += fmt.Sprintf(" (rotated; first %s)", b.Spec.ExternalID)
	}
	p.field("Binding ID", orDefault(id, b.Spec.ExternalID))
	p.field("Credentials Issued", p.when(st.CredentialsIssuedAt))
	if c := st.Credentials; c != nil {
		p.field("Credentials Expire", p.when(c.ExpiresAt))
		p.field("Renew Before", p.when(c.RenewBefore))
		p.field("Syslog Drain URL", c.SyslogDrainURL)
		p.field("Route Service URL", c.RouteServiceURL)
		if len(c.VolumeMounts) > 0 {
			p.field("Volume Mounts", fmt.Sprintf("%d requested (not mounted by the catalog)", len(c.VolumeMounts)))
		}
	}
	if f := st.IssuedFor; f != nil {
		p.field("Issued For", fmt.Sprintf("plan %s, parameters checksum %s", f.ClusterServicePlanExternalName, short(f.ParameterChecksum)))
	}
	if n := len(b.Spec.SecretTransforms); n > 0 {
		p.field("Secret Transforms", fmt.Sprintf("%d", n))
	}
}

// rotation writes the rotations asked for and the one in progress.
func (p *page) rotation(b *v1beta1.ServiceBinding) {
	st := &b.Status
	if b.Spec.RotationRequests > 0 || st.ObservedRotationRequests > 0 {
		p.field("Rotation Requests", fmt.Sprintf("%d (the controller has acted on %d)", b.Spec.RotationRequests, st.ObservedRotationRequests))
	}
	if b.Spec.RotateWhenStale {
		p.field("Rotate When Stale", yesNo(true))
	}
	if r := st.Rotation; r != nil {
		p.field("Rotating", fmt.Sprintf("to binding %s (%s) since %s", r.BindingID, r.Reason, p.when(&r.StartTime)))
	}
	var predecessors []string
	for _, pre := range st.Predecessors {
		predecessors = append(predecessors, fmt.Sprintf("%s, unbound at %s", pre.BindingID, p.when(&pre.UnbindAfter)))
	}
	p.field("Previous Credentials", strings.Join(predecessors, "; "))
}

// short shortens a checksum for reading.
func short(checksum string) string {
	if len(checksum) > 12 {
		return checksum[:12]
	}
	return checksum
}

// bindingsOf writes the bindings of i in its namespace, with their Secrets' keys.
func (p *page) bindingsOf(ctx context.Context, set *clients.Set, i *v1beta1.ServiceInstance) error {
	list, err := set.Catalog.ServicecatalogV1beta1().ServiceBindings(i.Namespace).List(ctx, metav1.ListOptions{})
	if apierrors.IsForbidden(err) {
		p.field("Bindings", "<forbidden>")
		return nil
	}
	if err != nil {
		return err
	}
	var rows [][]string
	for j := range list.Items {
		b := &list.Items[j]
		if b.InstanceNamespace() != i.Namespace || b.Spec.InstanceRef.Name != i.Name {
			continue
		}
		status := readiness.Word(b.Status.Conditions, b.DeletionTimestamp != nil)
		rows = append(rows, []string{b.Name, status, secrets.Name(b), secretKeys(ctx, set.Kube, i.Namespace, secrets.Name(b))})
	}
	if len(rows) == 0 {
		p.field("Bindings", "<none>")
		return nil
	}
	p.section("Bindings")
	p.row("NAME", "STATUS", "SECRET", "KEYS")
	for _, r := range rows {
		p.row(r...)
	}
	return nil
}
