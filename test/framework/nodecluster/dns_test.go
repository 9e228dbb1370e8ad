package nodecluster

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"golang.org/x/net/dns/dnsmessage"
)

func TestClusterDNSAnswersServicesAndHeadlessPods(t *testing.T) {
	client := fake.NewClientset(
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "brokers", Name: "test-broker"}, Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.20"}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "service-catalog", Name: "catalog-etcd"}, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone}},
		&discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Namespace: "service-catalog", Name: "catalog-etcd-abc", Labels: map[string]string{discoveryv1.LabelServiceName: "catalog-etcd"}},
			Endpoints: []discoveryv1.Endpoint{
				{Addresses: []string{"10.244.0.7"}, Hostname: ptr.To("catalog-etcd-0")},
				{Addresses: []string{"10.244.0.9"}, Hostname: ptr.To("catalog-etcd-1")},
			},
		},
	)
	d := &clusterDNS{client: client}
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		want  []string
		rcode dnsmessage.RCode
	}{
		{"test-broker.brokers.svc.cluster.local.", []string{"10.96.0.20"}, dnsmessage.RCodeSuccess},
		{"catalog-etcd.service-catalog.svc.cluster.local.", []string{"10.244.0.7", "10.244.0.9"}, dnsmessage.RCodeSuccess},
		{"catalog-etcd-1.catalog-etcd.service-catalog.svc.cluster.local.", []string{"10.244.0.9"}, dnsmessage.RCodeSuccess},
		{"catalog-etcd-5.catalog-etcd.service-catalog.svc.cluster.local.", nil, dnsmessage.RCodeNameError},
		{"nothing.brokers.svc.cluster.local.", nil, dnsmessage.RCodeNameError},
		{"example.com.", nil, dnsmessage.RCodeNameError},
	} {
		ips, rcode := d.lookup(ctx, tc.name)
		var got []string
		for _, ip := range ips {
			got = append(got, ip.String())
		}
		if rcode != tc.rcode || len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) {
			t.Errorf("lookup(%s) = %v %v, want %v %v", tc.name, got, rcode, tc.want, tc.rcode)
		}
	}
	if name, rcode := d.reverse(ctx, "9.0.244.10.in-addr.arpa."); name != "catalog-etcd-1.catalog-etcd.service-catalog.svc.cluster.local." || rcode != dnsmessage.RCodeSuccess {
		t.Errorf("reverse(10.244.0.9) = %q %v, want the pod's name under its Service", name, rcode)
	}
	if _, rcode := d.reverse(ctx, "1.0.96.10.in-addr.arpa."); rcode != dnsmessage.RCodeNameError {
		t.Errorf("reverse of an address no pod has: %v, want NXDOMAIN", rcode)
	}
}
