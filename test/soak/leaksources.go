package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
)

// kubeSecretsPrefix is where kube-apiserver stores Secrets, which may hold
// secret values.
const kubeSecretsPrefix = "/registry/secrets/"

// etcdScanTimeout bounds a scan of one etcd.
const etcdScanTimeout = 5 * time.Minute

// newEtcdClient connects to the etcd at endpoint.
func newEtcdClient(endpoint string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{
		Endpoints: []string{endpoint}, DialTimeout: 10 * time.Second, Logger: zap.NewNop(),
		MaxCallRecvMsgSize: 256 << 20,
	})
}

// scanEtcdHistory searches every value ever written to the etcd at endpoint,
// by replaying its history from the first revision (the catalog's API server
// runs with compaction off, so nothing is lost).
func (l *leakScan) scanEtcdHistory(ctx context.Context, kind, endpoint string) error {
	cli, err := newEtcdClient(endpoint)
	if err != nil {
		return err
	}
	defer func() { _ = cli.Close() }()
	ctx, cancel := context.WithTimeout(ctx, etcdScanTimeout)
	defer cancel()
	head, err := cli.Get(ctx, "\x00", clientv3.WithFromKey(), clientv3.WithCountOnly())
	if err != nil {
		return err
	}
	rev := head.Header.Revision
	for wr := range cli.Watch(ctx, "\x00", clientv3.WithFromKey(), clientv3.WithRev(1)) {
		if err := wr.Err(); err != nil {
			return fmt.Errorf("replaying %s from revision 1: %w", kind, err)
		}
		for _, ev := range wr.Events {
			if ev.Type == clientv3.EventTypePut {
				l.scan(kind, fmt.Sprintf("%s@%d", ev.Kv.Key, ev.Kv.ModRevision), ev.Kv.Value)
			}
			if ev.Kv.ModRevision >= rev {
				return nil
			}
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("replaying %s: %w", kind, ctx.Err())
	}
	return errors.New("the watch ended before the last revision")
}

// scanEtcdCurrent searches the current value of every key of the etcd at
// endpoint, except those under skip.
func (l *leakScan) scanEtcdCurrent(ctx context.Context, kind, endpoint, skip string) error {
	cli, err := newEtcdClient(endpoint)
	if err != nil {
		return err
	}
	defer func() { _ = cli.Close() }()
	ctx, cancel := context.WithTimeout(ctx, etcdScanTimeout)
	defer cancel()
	key := "\x00"
	for {
		resp, err := cli.Get(ctx, key, clientv3.WithFromKey(), clientv3.WithLimit(500))
		if err != nil {
			return err
		}
		for _, kv := range resp.Kvs {
			if !strings.HasPrefix(string(kv.Key), skip) {
				l.scan(kind, string(kv.Key), kv.Value)
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return nil
		}
		key = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// scanEvents searches every Event of the cluster.
func (l *leakScan) scanEvents(ctx context.Context, kube kubernetes.Interface) error {
	evs, err := kube.CoreV1().Events(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for i := range evs.Items {
		ev := &evs.Items[i]
		data, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		l.scan("events", "event "+ev.Namespace+"/"+ev.Name, data)
	}
	return nil
}

// objectDump is the JSON of every catalog object at one moment.
type objectDump map[string][]byte

// dumpObjects reads every catalog object, for a scan once every secret is
// known.
func dumpObjects(ctx context.Context, sc clientset.Interface) (objectDump, error) {
	d := objectDump{}
	api := sc.ServicecatalogV1beta1()
	add := func(kind string, list any, err error) error {
		if err != nil {
			return err
		}
		var items struct {
			Items []json.RawMessage `json:"items"`
		}
		data, err := json.Marshal(list)
		if err == nil {
			err = json.Unmarshal(data, &items)
		}
		for _, it := range items.Items {
			var m struct {
				Metadata metav1.ObjectMeta `json:"metadata"`
			}
			_ = json.Unmarshal(it, &m)
			d[kind+" "+strings.TrimPrefix(m.Metadata.Namespace+"/"+m.Metadata.Name, "/")] = it
		}
		return err
	}
	insts, err := api.ServiceInstances(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err := add("ServiceInstance", insts, err); err != nil {
		return nil, err
	}
	binds, err := api.ServiceBindings(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err := add("ServiceBinding", binds, err); err != nil {
		return nil, err
	}
	brokers, err := api.ClusterServiceBrokers().List(ctx, metav1.ListOptions{})
	if err := add("ClusterServiceBroker", brokers, err); err != nil {
		return nil, err
	}
	return d, nil
}

// scanObjects searches a dump of the catalog's objects.
func (l *leakScan) scanObjects(label string, d objectDump) {
	for where, data := range d {
		l.scan("objects", label+" "+where, data)
	}
}
