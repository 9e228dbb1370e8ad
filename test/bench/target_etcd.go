package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// etcdTarget puts the JSON bytes of the benchmark object straight into an etcd
// (a separate single-member etcd of the version kube-apiserver uses, started
// for the benchmark): the physical floor under every API server. Keys are
// <prefix>/<name>; reads are linearizable, as the API servers' consistent
// reads are.
type etcdTarget struct {
	client   *clientv3.Client
	prefix   string
	warmup   string
	pid      func() int
	template *unstructured.Unstructured
}

// newEtcdTarget connects to the etcd at endpoint.
func newEtcdTarget(endpoint string, pid func() int) (*etcdTarget, error) {
	client, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{endpoint},
		DialTimeout: 10 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		return nil, err
	}
	return &etcdTarget{
		client:   client,
		prefix:   "/registry/bench/serviceinstances/bench-etcd/",
		warmup:   "/registry/bench/serviceinstances/bench-warmup/",
		pid:      pid,
		template: instanceTemplate("servicecatalog.k8s.io"),
	}, nil
}

func (t *etcdTarget) Name() string { return "etcd" }
func (t *etcdTarget) Describe() string {
	return "raw etcd clientv3 puts of the same JSON bytes, separate etcd " + kubecluster.EtcdVersion
}
func (t *etcdTarget) Process() (string, int) { return "etcd", t.pid() }

// Close closes the client.
func (t *etcdTarget) Close() error { return t.client.Close() }

// value is the JSON of the object a client would send for name.
func (t *etcdTarget) value(name string) (string, error) {
	b, err := json.Marshal(instanceObject(t.template, "bench-etcd", name).Object)
	return string(b), err
}

func (t *etcdTarget) Warmup(ctx context.Context) error {
	for i := range warmupObjects {
		v, err := t.value(fmt.Sprintf("warmup-%03d", i))
		if err != nil {
			return err
		}
		if _, err := t.client.Put(ctx, t.warmup+fmt.Sprintf("warmup-%03d", i), v); err != nil {
			return err
		}
	}
	_, err := t.client.Get(ctx, t.warmup, clientv3.WithPrefix())
	return err
}

func (t *etcdTarget) Create(ctx context.Context, name string) error {
	v, err := t.value(name)
	if err != nil {
		return err
	}
	_, err = t.client.Put(ctx, t.prefix+name, v)
	return err
}

func (t *etcdTarget) List(ctx context.Context, accept string) (listResult, error) {
	if accept != mediaJSON {
		return listResult{}, fmt.Errorf("%w: etcd stores raw bytes", errNotServed)
	}
	start := time.Now()
	resp, err := t.client.Get(ctx, t.prefix, clientv3.WithPrefix())
	d := time.Since(start)
	if err != nil {
		return listResult{}, err
	}
	res := listResult{Items: len(resp.Kvs), Pages: 1, Duration: d}
	for _, kv := range resp.Kvs {
		res.Bytes += int64(len(kv.Value))
	}
	return res, nil
}

func (t *etcdTarget) ListPaged(ctx context.Context, limit int64) (listResult, error) {
	var res listResult
	start := time.Now()
	end := clientv3.GetPrefixRangeEnd(t.prefix)
	key := t.prefix
	var rev int64
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(limit)}
		if rev != 0 {
			// Later pages read the first page's snapshot, as the API servers'
			// continue tokens do.
			opts = append(opts, clientv3.WithRev(rev))
		}
		resp, err := t.client.Get(ctx, key, opts...)
		if err != nil {
			return listResult{}, err
		}
		rev = resp.Header.Revision
		res.Pages++
		res.Items += len(resp.Kvs)
		for _, kv := range resp.Kvs {
			res.Bytes += int64(len(kv.Value))
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		key = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	res.Duration = time.Since(start)
	return res, nil
}

func (t *etcdTarget) Revision(ctx context.Context) (string, error) {
	resp, err := t.client.Get(ctx, t.prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(resp.Header.Revision, 10), nil
}

func (t *etcdTarget) Watch(ctx context.Context, rev string) (<-chan string, error) {
	r, err := strconv.ParseInt(rev, 10, 64)
	if err != nil {
		return nil, err
	}
	wch := t.client.Watch(clientv3.WithRequireLeader(ctx), t.prefix, clientv3.WithPrefix(), clientv3.WithRev(r+1))
	names := make(chan string, 64)
	go func() {
		defer close(names)
		for resp := range wch {
			if resp.Err() != nil {
				return
			}
			for _, ev := range resp.Events {
				if !ev.IsCreate() {
					continue
				}
				select {
				case names <- path.Base(strings.TrimSuffix(string(ev.Kv.Key), "/")):
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return names, nil
}
