// Package protowire checks that the catalog's API speaks protobuf end to end: a client
// configuration that sends and accepts nothing else, a record of the media type of every
// answer, and a walk that lists, gets and watches every kind of the API.
package protowire

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
)

// Resources are the API's resources, each with whether it is namespaced.
var Resources = []struct {
	Name       string
	Namespaced bool
}{
	{"clusterservicebrokers", false}, {"clusterserviceclasses", false}, {"clusterserviceplans", false},
	{"servicebrokers", true}, {"serviceclasses", true}, {"serviceplans", true},
	{"serviceinstances", true}, {"servicebindings", true},
}

// Recorder remembers the media type of every answer a client received.
type Recorder struct {
	mu      sync.Mutex
	answers []string
}

// Config returns a copy of cfg that sends protobuf, accepts only protobuf, and records
// every answer in r.
func (r *Recorder) Config(cfg *rest.Config) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.ContentType = runtime.ContentTypeProtobuf
	cfg.AcceptContentTypes = runtime.ContentTypeProtobuf
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := rt.RoundTrip(req)
			if err == nil {
				r.record(req, resp)
			}
			return resp, err
		})
	})
	return cfg
}

func (r *Recorder) record(req *http.Request, resp *http.Response) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers = append(r.answers, fmt.Sprintf("%s %s -> %d %s", req.Method, req.URL.RequestURI(), resp.StatusCode, resp.Header.Get("Content-Type")))
}

// NotProtobuf returns the answers (method, URI, status, media type) that were not
// protobuf, and how many answers there were in all.
func (r *Recorder) NotProtobuf() (others []string, all int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.answers {
		if !strings.HasSuffix(a, " "+runtime.ContentTypeProtobuf) && !strings.HasSuffix(a, " "+runtime.ContentTypeProtobuf+";stream=watch") {
			others = append(others, a)
		}
	}
	return others, len(r.answers)
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// ReadEveryKind lists every resource (the namespaced ones in namespace), gets the first
// object of each list, and watches each from the list's start, and expects at least one
// object of every resource and the first object as the first watch event. The client
// decides the encoding.
func ReadEveryKind(ctx context.Context, client rest.Interface, namespace string) error {
	for _, r := range Resources {
		ns := ""
		if r.Namespaced {
			ns = namespace
		}
		if err := readResource(ctx, client, r.Name, ns); err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
	}
	return nil
}

func readResource(ctx context.Context, client rest.Interface, resource, namespace string) error {
	list, err := client.Get().Namespace(namespace).Resource(resource).Do(ctx).Get()
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	if len(items) == 0 {
		return fmt.Errorf("list: no items, want at least one")
	}
	first, err := meta.Accessor(items[0])
	if err != nil {
		return err
	}
	got, err := client.Get().NamespaceIfScoped(namespace, namespace != "").Resource(resource).Name(first.GetName()).Do(ctx).Get()
	if err != nil {
		return fmt.Errorf("get %s: %w", first.GetName(), err)
	}
	if a, err := meta.Accessor(got); err != nil {
		return fmt.Errorf("get %s: %w", first.GetName(), err)
	} else if a.GetUID() != first.GetUID() {
		return fmt.Errorf("get %s: a different object (uid %s, listed %s)", first.GetName(), a.GetUID(), first.GetUID())
	}
	return watchFirst(ctx, client, resource, namespace, first)
}

// watchFirst opens a watch that replays the resource's objects and waits for first.
func watchFirst(ctx context.Context, client rest.Interface, resource, namespace string, first metav1.Object) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	w, err := client.Get().Namespace(namespace).Resource(resource).
		VersionedParams(&metav1.ListOptions{Watch: true, ResourceVersion: "0"}, metav1.ParameterCodec).Watch(ctx)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	defer w.Stop()
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				return fmt.Errorf("watch: closed before %s was seen", first.GetName())
			}
			if ev.Type == watch.Error {
				return fmt.Errorf("watch: %v", ev.Object)
			}
			if a, err := meta.Accessor(ev.Object); err == nil && a.GetUID() == first.GetUID() {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("watch: %s not seen: %w", first.GetName(), ctx.Err())
		}
	}
}
