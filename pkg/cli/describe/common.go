package describe

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/cli/readiness"
	"github.com/kube-service-catalog/catalog/pkg/cli/secrets"
)

// maxEvents is how many of an object's events a story shows, the most recent.
const maxEvents = 10

// header writes the lines every story starts with.
func (p *page) header(m *metav1.ObjectMeta, conditions []metav1.Condition, user *v1beta1.UserInfo) {
	p.field("Name", m.Name)
	p.field("Namespace", m.Namespace)
	p.field("Status", readiness.Word(conditions, m.DeletionTimestamp != nil))
	p.field("Created", p.when(&m.CreationTimestamp))
	if user != nil {
		p.field("Last Changed By", user.Username)
	}
	p.field("Deleting Since", p.when(m.DeletionTimestamp))
}

// operation writes what the controller is doing with the broker, and how it went.
func (p *page) operation(current string, op *v1beta1.OperationStatus) {
	if current != "" {
		line := current
		if since := p.when(op.OperationStartTime); since != "" {
			line += " since " + since
		}
		if op.AsyncOpInProgress {
			line += "; the broker works on it asynchronously and is polled"
		}
		p.field("Operation", line)
	}
	p.field("Last Request ID", op.LastRequestIdentity)
	if op.Attempts.Count > 0 {
		line := fmt.Sprintf("%d failed", op.Attempts.Count)
		if next := p.when(op.Attempts.NextAttemptTime); next != "" {
			line += "; next at " + next
		}
		p.field("Attempts", line)
	}
	if op.OrphanMitigationInProgress {
		p.field("Orphan Mitigation", "removing at the broker what a failed create may have left")
	}
	if a := op.Abandoned; a != nil {
		line := fmt.Sprintf("by %s at %s", a.User, p.when(&a.Time))
		if a.Reason != "" {
			line += ": " + a.Reason
		}
		p.field("Abandoned", line)
	}
}

// conditions writes the conditions, each with its message.
func (p *page) conditions(conditions []metav1.Condition) {
	if len(conditions) == 0 {
		p.field("Conditions", "<none>")
		return
	}
	p.section("Conditions")
	p.row("TYPE", "STATUS", "REASON", "AGE", "MESSAGE")
	for _, c := range conditions {
		p.row(c.Type, string(c.Status), c.Reason, p.ago(c.LastTransitionTime), c.Message)
	}
}

// events writes the most recent events of the object of uid, kind and name.
func (p *page) events(ctx context.Context, kube kubernetes.Interface, namespace, kind, name string, uid types.UID) {
	selector := fields.Set{"involvedObject.kind": kind, "involvedObject.name": name}.String()
	list, err := kube.CoreV1().Events(namespace).List(ctx, metav1.ListOptions{FieldSelector: selector})
	if err != nil {
		p.field("Events", "<"+reasonOf(err)+">")
		return
	}
	var events []corev1.Event
	for _, e := range list.Items {
		if e.InvolvedObject.UID == uid {
			events = append(events, e)
		}
	}
	if len(events) == 0 {
		p.field("Events", "<none>")
		return
	}
	slices.SortStableFunc(events, func(a, b corev1.Event) int { return eventTime(&a).Compare(eventTime(&b).Time) })
	events = events[max(0, len(events)-maxEvents):]
	p.section("Events")
	p.row("TYPE", "REASON", "AGE", "FROM", "MESSAGE")
	for i := range events {
		e := &events[i]
		p.row(e.Type, e.Reason, p.ago(eventTime(e)), e.Source.Component, strings.TrimSpace(e.Message))
	}
}

// eventTime is when an event last happened.
func eventTime(e *corev1.Event) metav1.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp
	case !e.EventTime.IsZero():
		return metav1.Time{Time: e.EventTime.Time}
	}
	return e.FirstTimestamp
}

// secretKeys names the keys of Secret name, never its values: "password, uri" or why
// they cannot be shown.
func secretKeys(ctx context.Context, kube kubernetes.Interface, namespace, name string) string {
	keys, err := secrets.Keys(ctx, kube, namespace, name)
	switch {
	case err != nil:
		return "<" + reasonOf(err) + ">"
	case len(keys) == 0:
		return "<no keys>"
	}
	return strings.Join(keys, ", ")
}

// reasonOf says in a few words why a read failed: "not found", "forbidden", or the
// error.
func reasonOf(err error) string {
	switch {
	case apierrors.IsNotFound(err):
		return "not found"
	case apierrors.IsForbidden(err):
		return "forbidden"
	}
	return err.Error()
}

// yesNo writes a boolean as yes or no.
func yesNo(b bool) string {
	return map[bool]string{true: "yes", false: "no"}[b]
}

// count writes n, "" for zero.
func count(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}
