package options

import (
	"bytes"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// TestStorageMediaType checks that objects are stored in protobuf unless
// --storage-media-type says otherwise, and that an unknown media type is refused by name.
func TestStorageMediaType(t *testing.T) {
	o := NewOptions()
	if got := o.RecommendedOptions.Etcd.DefaultStorageMediaType; got != runtime.ContentTypeProtobuf {
		t.Errorf("default storage media type %q, want protobuf", got)
	}
	instance := &sc.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Name: "i", Namespace: "ns"}}
	for mediaType, prefix := range map[string]string{runtime.ContentTypeProtobuf: "k8s\x00", runtime.ContentTypeJSON: "{"} {
		codec, err := storageCodec(mediaType)
		if err != nil {
			t.Fatal(err)
		}
		data, err := runtime.Encode(codec, instance)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte(prefix)) {
			t.Errorf("%s: stored as %.20q", mediaType, data)
		}
		if _, err := runtime.Decode(codec, data); err != nil {
			t.Errorf("%s: reading back: %v", mediaType, err)
		}
	}
	_, err := storageCodec("text/plain")
	if err == nil || !strings.Contains(err.Error(), "--storage-media-type") || !strings.Contains(err.Error(), runtime.ContentTypeProtobuf) {
		t.Errorf("an unknown media type: %v", err)
	}
}
