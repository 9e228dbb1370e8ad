package nodecluster

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"golang.org/x/net/dns/dnsmessage"
)

// clusterDomain is the pods' DNS domain (the kubelet's clusterDomain).
const clusterDomain = "cluster.local."

// clusterDNS answers the node's pods for the names of Services and of the pods
// behind headless Services (<hostname>.<service>.<namespace>.svc.cluster.local),
// from the Kubernetes API: what a cluster's DNS add-on does, reduced to the A
// records the catalog's manifests need. It answers nothing outside the cluster
// domain.
type clusterDNS struct {
	conn   net.PacketConn
	client kubernetes.Interface
}

// serveClusterDNS answers on the UDP address addr until ctx ends.
func serveClusterDNS(ctx context.Context, addr string, client kubernetes.Interface) error {
	conn, err := net.ListenPacket("udp4", addr)
	if err != nil {
		return err
	}
	d := &clusterDNS{conn: conn, client: client}
	go func() {
		<-ctx.Done()
		_ = conn.Close()
	}()
	go d.serve(ctx)
	return nil
}

func (d *clusterDNS) serve(ctx context.Context) {
	buf := make([]byte, 1500)
	for {
		n, from, err := d.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if reply, ok := d.reply(ctx, buf[:n]); ok {
			_, _ = d.conn.WriteTo(reply, from)
		}
	}
}

// reply answers the query in packet, if it is one.
func (d *clusterDNS) reply(ctx context.Context, packet []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	header, err := p.Start(packet)
	if err != nil || header.Response {
		return nil, false
	}
	q, err := p.Question()
	if err != nil {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if q.Type == dnsmessage.TypePTR {
		return d.replyPTR(ctx, header, q)
	}
	ips, rcode := d.lookup(ctx, q.Name.String())
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{
		ID: header.ID, Response: true, Authoritative: true, RecursionDesired: header.RecursionDesired, RCode: rcode,
	})
	b.EnableCompression()
	_ = b.StartQuestions()
	_ = b.Question(q)
	_ = b.StartAnswers()
	if q.Type == dnsmessage.TypeA {
		for _, ip := range ips {
			var a dnsmessage.AResource
			copy(a.A[:], ip.To4())
			_ = b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 5}, a)
		}
	}
	out, err := b.Finish()
	return out, err == nil
}

// replyPTR answers a reverse lookup of a pod behind a headless Service with the
// pod's name under the Service (etcd checks its peers' certificates by it).
func (d *clusterDNS) replyPTR(ctx context.Context, header dnsmessage.Header, q dnsmessage.Question) ([]byte, bool) {
	name, rcode := d.reverse(ctx, q.Name.String())
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{
		ID: header.ID, Response: true, Authoritative: true, RecursionDesired: header.RecursionDesired, RCode: rcode,
	})
	_ = b.StartQuestions()
	_ = b.Question(q)
	_ = b.StartAnswers()
	if rcode == dnsmessage.RCodeSuccess {
		ptr, err := dnsmessage.NewName(name)
		if err == nil {
			_ = b.PTRResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 5}, dnsmessage.PTRResource{PTR: ptr})
		}
	}
	out, err := b.Finish()
	return out, err == nil
}

// reverse returns the name of the pod with the address in the in-addr.arpa
// name arpa: <hostname>.<service>.<namespace>.svc.cluster.local.
func (d *clusterDNS) reverse(ctx context.Context, arpa string) (string, dnsmessage.RCode) {
	labels := strings.Split(strings.TrimSuffix(strings.ToLower(arpa), ".in-addr.arpa."), ".")
	if len(labels) != 4 {
		return "", dnsmessage.RCodeNameError
	}
	ip := labels[3] + "." + labels[2] + "." + labels[1] + "." + labels[0]
	list, err := d.client.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", dnsmessage.RCodeServerFailure
	}
	for _, s := range list.Items {
		for _, e := range s.Endpoints {
			if e.Hostname != nil && slices.Contains(e.Addresses, ip) {
				return *e.Hostname + "." + s.Labels[discoveryv1.LabelServiceName] + "." + s.Namespace + ".svc." + clusterDomain, dnsmessage.RCodeSuccess
			}
		}
	}
	return "", dnsmessage.RCodeNameError
}

// lookup returns the IPv4 addresses of name, or the failure code.
func (d *clusterDNS) lookup(ctx context.Context, name string) ([]net.IP, dnsmessage.RCode) {
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".svc."+clusterDomain) {
		return nil, dnsmessage.RCodeNameError
	}
	labels := strings.Split(strings.TrimSuffix(name, ".svc."+clusterDomain), ".")
	var ips []net.IP
	var err error
	switch len(labels) {
	case 2:
		ips, err = d.service(ctx, labels[1], labels[0])
	case 3:
		ips, err = d.endpoints(ctx, labels[2], labels[1], labels[0])
	default:
		return nil, dnsmessage.RCodeNameError
	}
	switch {
	case apierrors.IsNotFound(err), errors.Is(err, errNoSuchHost):
		return nil, dnsmessage.RCodeNameError
	case err != nil:
		return nil, dnsmessage.RCodeServerFailure
	}
	return ips, dnsmessage.RCodeSuccess
}

var errNoSuchHost = errors.New("no such host")

// service returns the cluster IP of a Service, or the addresses of a headless
// one's endpoints.
func (d *clusterDNS) service(ctx context.Context, namespace, name string) ([]net.IP, error) {
	svc, err := d.client.CoreV1().Services(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(svc.Spec.ClusterIP); ip != nil {
		return []net.IP{ip}, nil
	}
	return d.endpoints(ctx, namespace, name, "")
}

// endpoints returns the addresses of a Service's endpoints, of those whose
// hostname is host when host is set.
func (d *clusterDNS) endpoints(ctx context.Context, namespace, service, host string) ([]net.IP, error) {
	list, err := d.client.DiscoveryV1().EndpointSlices(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + service,
	})
	if err != nil {
		return nil, err
	}
	var ips []net.IP
	for _, s := range list.Items {
		for _, e := range s.Endpoints {
			if host != "" && (e.Hostname == nil || *e.Hostname != host) {
				continue
			}
			for _, a := range e.Addresses {
				if ip := net.ParseIP(a); ip != nil && ip.To4() != nil {
					ips = append(ips, ip)
				}
			}
		}
	}
	if host != "" && len(ips) == 0 {
		return nil, errNoSuchHost
	}
	return ips, nil
}
