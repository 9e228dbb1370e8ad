package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/figures"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
)

// apiTarget stores ServiceInstances through a Kubernetes-style API server, with
// no client-side rate limit: the CRD with the client-go dynamic client (JSON, the
// only encoding a CRD has), the catalog with its generated clientset in the
// encoding -catalog-wire names (protobuf by default). Lists are
// plain HTTP GETs on the same connection pool, timed until the body has been
// read, so that the client's decoding is not counted.
type apiTarget struct {
	name, describe string
	processName    string
	pid            func() int
	gvr            schema.GroupVersionResource
	namespace      string
	// warmupNamespace receives Warmup's objects.
	warmupNamespace string

	template *unstructured.Unstructured
	client   dynamic.Interface
	create   instanceCreator
	http     *http.Client
	host     string
}

// instanceCreator creates one instance named namespace/name.
type instanceCreator func(ctx context.Context, namespace, name string) error

// newAPITarget returns a target storing into namespace through the server cfg
// points at. cfg is copied; its rate limit is removed.
// The catalog's instances are created in wire (a media type), the CRD's in JSON.
func newAPITarget(name, describe, processName string, pid func() int, cfg *rest.Config, gvr schema.GroupVersionResource, namespace, warmupNamespace, wire string) (*apiTarget, error) {
	cfg = unlimited(cfg)
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	client, err := dynamic.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	t := &apiTarget{
		name: name, describe: describe, processName: processName, pid: pid,
		gvr: gvr, namespace: namespace, warmupNamespace: warmupNamespace,
		template: instanceTemplate(gvr.Group),
		client:   client,
		http:     httpClient,
		host:     strings.TrimSuffix(cfg.Host, "/"),
	}
	t.create = t.dynamicCreate
	if gvr == catalogInstances {
		if t.create, err = typedCreator(cfg, httpClient, t.template, wire); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// dynamicCreate creates an instance with the dynamic client, in JSON.
func (t *apiTarget) dynamicCreate(ctx context.Context, namespace, name string) error {
	_, err := t.client.Resource(t.gvr).Namespace(namespace).Create(ctx, instanceObject(t.template, namespace, name), metav1.CreateOptions{})
	return err
}

// typedCreator creates the catalog's instances with its generated clientset,
// sending and accepting wire.
func typedCreator(cfg *rest.Config, httpClient *http.Client, template *unstructured.Unstructured, wire string) (instanceCreator, error) {
	cfg = rest.CopyConfig(cfg)
	cfg.ContentType, cfg.AcceptContentTypes = wire, wire
	client, err := versioned.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	var instance v1beta1.ServiceInstance
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(template.Object, &instance); err != nil {
		return nil, err
	}
	return func(ctx context.Context, namespace, name string) error {
		obj := instance.DeepCopy()
		obj.Namespace, obj.Name = namespace, name
		_, err := client.ServicecatalogV1beta1().ServiceInstances(namespace).Create(ctx, obj, metav1.CreateOptions{})
		return err
	}, nil
}

// unlimited returns a copy of cfg without client-side rate limiting and
// without deprecation warnings on stderr.
func unlimited(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst, cfg.RateLimiter = -1, 0, nil
	cfg.Timeout = 2 * time.Minute
	cfg.WarningHandler = rest.NoWarnings{}
	cfg.UserAgent = "catalog-bench"
	return cfg
}

func (t *apiTarget) Name() string     { return t.name }
func (t *apiTarget) Describe() string { return t.describe }

func (t *apiTarget) Process() (string, int) { return t.processName, t.pid() }

func (t *apiTarget) Warmup(ctx context.Context) error {
	if _, err := t.List(ctx, mediaJSON); err != nil {
		return err
	}
	res := t.client.Resource(t.gvr).Namespace(t.warmupNamespace)
	var wg sync.WaitGroup
	errs := make(chan error, warmupObjects)
	for i := range warmupObjects {
		wg.Go(func() {
			errs <- t.create(ctx, t.warmupNamespace, fmt.Sprintf("warmup-%03d", i))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return fmt.Errorf("warm-up create: %w", err)
		}
	}
	_, err := res.List(ctx, metav1.ListOptions{})
	return err
}

func (t *apiTarget) Create(ctx context.Context, name string) error {
	return t.create(ctx, t.namespace, name)
}

// listURL is the URL of the collection in namespace ("" for every
// namespace) with query q.
func (t *apiTarget) listURL(namespace string, q url.Values) string {
	u := fmt.Sprintf("%s/apis/%s/%s/%s", t.host, t.gvr.Group, t.gvr.Version, t.gvr.Resource)
	if namespace != "" {
		u = fmt.Sprintf("%s/apis/%s/%s/namespaces/%s/%s", t.host, t.gvr.Group, t.gvr.Version, namespace, t.gvr.Resource)
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// get sends a GET asking for accept and returns the body, the response's
// media type and the status.
func (t *apiTarget) get(ctx context.Context, u, accept string) ([]byte, string, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", 0, err
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "catalog-bench")
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, "", 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", resp.StatusCode, err
	}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return body, mediaType, resp.StatusCode, nil
}

// listPage is the part of a JSON list the benchmark reads.
type listPage struct {
	Metadata struct {
		Continue        string `json:"continue"`
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	// Items are counted, not kept: a LIST at the largest sizes is
	// hundreds of MiB.
	Items []struct{} `json:"items"`
}

func (t *apiTarget) List(ctx context.Context, accept string) (listResult, error) {
	return t.listIn(ctx, t.namespace, nil, accept)
}

// listIn reads the collection in namespace ("" for every namespace) with
// query q in one request, asking for the media type accept; it counts the
// items of a JSON answer.
func (t *apiTarget) listIn(ctx context.Context, namespace string, q url.Values, accept string) (listResult, error) {
	u := t.listURL(namespace, q)
	start := time.Now()
	body, mediaType, status, err := t.get(ctx, u, accept)
	d := time.Since(start)
	if err != nil {
		return listResult{}, err
	}
	if status == http.StatusNotAcceptable || (status == http.StatusOK && mediaType != accept) {
		return listResult{}, fmt.Errorf("%w: asked for %s, got HTTP %d %s", errNotServed, accept, status, mediaType)
	}
	if status != http.StatusOK {
		return listResult{}, fmt.Errorf("LIST %s as %s: HTTP %d: %s", u, accept, status, figures.Snippet(body))
	}
	res := listResult{Bytes: int64(len(body)), Pages: 1, Duration: d, Items: -1}
	if accept == mediaJSON {
		var page listPage
		if err := json.Unmarshal(body, &page); err != nil {
			return listResult{}, fmt.Errorf("decoding the list: %w", err)
		}
		res.Items = len(page.Items)
	}
	return res, nil
}

func (t *apiTarget) ListPaged(ctx context.Context, limit int64) (listResult, error) {
	return t.pagedIn(ctx, t.namespace, limit)
}

// pagedIn reads the collection in namespace ("" for every namespace) in
// pages of limit objects (JSON).
func (t *apiTarget) pagedIn(ctx context.Context, namespace string, limit int64) (listResult, error) {
	var res listResult
	start := time.Now()
	cont := ""
	for {
		q := url.Values{"limit": {strconv.FormatInt(limit, 10)}}
		if cont != "" {
			q.Set("continue", cont)
		}
		u := t.listURL(namespace, q)
		body, _, status, err := t.get(ctx, u, mediaJSON)
		if err != nil {
			return listResult{}, err
		}
		if status != http.StatusOK {
			return listResult{}, fmt.Errorf("LIST %s: HTTP %d: %s", u, status, figures.Snippet(body))
		}
		var page listPage
		if err := json.Unmarshal(body, &page); err != nil {
			return listResult{}, fmt.Errorf("decoding a page: %w", err)
		}
		res.Pages++
		res.Items += len(page.Items)
		res.Bytes += int64(len(body))
		if cont = page.Metadata.Continue; cont == "" {
			break
		}
	}
	res.Duration = time.Since(start)
	return res, nil
}

func (t *apiTarget) Revision(ctx context.Context) (string, error) {
	list, err := t.client.Resource(t.gvr).Namespace(t.namespace).List(ctx, metav1.ListOptions{Limit: 1})
	if err != nil {
		return "", err
	}
	return list.GetResourceVersion(), nil
}

func (t *apiTarget) Watch(ctx context.Context, rev string) (<-chan string, error) {
	w, err := t.client.Resource(t.gvr).Namespace(t.namespace).Watch(ctx, metav1.ListOptions{ResourceVersion: rev})
	if err != nil {
		return nil, err
	}
	names := make(chan string, 64)
	go func() {
		defer close(names)
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.ResultChan():
				if !ok {
					return
				}
				if ev.Type != watch.Added {
					continue
				}
				if obj, ok := ev.Object.(*unstructured.Unstructured); ok {
					select {
					case names <- obj.GetName():
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	return names, nil
}
