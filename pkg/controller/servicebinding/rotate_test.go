package servicebinding

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// When credentials are due for rotation: when asked for, at renew_before, or a tenth of
// their life before expires_at; never again and again for times already past at issue.
func TestRotationDue(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *metav1.Time { return &metav1.Time{Time: now.Add(d)} }
	for _, tc := range []struct {
		name     string
		requests int64
		issued   *metav1.Time
		creds    *v1beta1.BindingCredentialsStatus
		reason   string
		when     time.Time
	}{
		{name: "nothing said"},
		{name: "asked for", requests: 1, reason: rotationRequested, when: now},
		{name: "renew_before to come", issued: at(-time.Hour), creds: &v1beta1.BindingCredentialsStatus{RenewBefore: at(time.Hour)}, when: now.Add(time.Hour)},
		{name: "renew_before come", issued: at(-time.Hour), creds: &v1beta1.BindingCredentialsStatus{RenewBefore: at(0)}, reason: rotationRenewBefore, when: now},
		{name: "expiring in a tenth of the life", issued: at(-9 * time.Hour), creds: &v1beta1.BindingCredentialsStatus{ExpiresAt: at(time.Hour)}, reason: rotationExpiring, when: now},
		{name: "expiring later", issued: at(-time.Hour), creds: &v1beta1.BindingCredentialsStatus{ExpiresAt: at(9 * time.Hour)}, when: now.Add(8 * time.Hour)},
		{name: "renew_before already past at issue", issued: at(0), creds: &v1beta1.BindingCredentialsStatus{RenewBefore: at(-time.Minute)}},
		{name: "expired at issue", issued: at(0), creds: &v1beta1.BindingCredentialsStatus{ExpiresAt: at(-time.Minute)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &v1beta1.ServiceBinding{Spec: v1beta1.ServiceBindingSpec{RotationRequests: tc.requests}}
			b.Status.Credentials, b.Status.CredentialsIssuedAt = tc.creds, tc.issued
			reason, when := rotationDue(b, now)
			if reason != tc.reason || !when.Equal(tc.when) {
				t.Errorf("rotationDue = %q at %v, want %q at %v", reason, when, tc.reason, tc.when)
			}
		})
	}
}

// Credentials are stale when the instance's plan or parameters changed since their issue.
func TestStaleness(t *testing.T) {
	was := &v1beta1.IssuedFor{ClusterServicePlanExternalName: "small", ClusterServicePlanExternalID: "s", ParameterChecksum: "a"}
	for _, tc := range []struct {
		name string
		now  *v1beta1.IssuedFor
		want string
	}{
		{"unchanged", was, ""},
		{"unknown now", nil, ""},
		{"another plan", &v1beta1.IssuedFor{ClusterServicePlanExternalName: "large", ClusterServicePlanExternalID: "l", ParameterChecksum: "a"}, "plan changed from small to large"},
		{"other parameters", &v1beta1.IssuedFor{ClusterServicePlanExternalName: "small", ClusterServicePlanExternalID: "s", ParameterChecksum: "b"}, "parameters changed"},
	} {
		got := staleness(was, tc.now)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := staleness(nil, was); got != "" {
		t.Errorf("credentials of unknown issue: %q", got)
	}
}

// Only a binding whose credentials have not expired may be named as a predecessor.
func TestExpired(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	b := &v1beta1.ServiceBinding{}
	if expired(b, now) {
		t.Error("credentials without an expiry expired")
	}
	b.Status.Credentials = &v1beta1.BindingCredentialsStatus{ExpiresAt: &metav1.Time{Time: now.Add(time.Minute)}}
	if expired(b, now) {
		t.Error("credentials expiring in a minute expired")
	}
	if !expired(b, now.Add(time.Minute)) {
		t.Error("credentials at their expiry did not expire")
	}
}
