package options

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"k8s.io/apiserver/pkg/features"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	featuregatetesting "k8s.io/component-base/featuregate/testing"

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

// TestStorageInCBOR checks that CBOR can be stored only with its feature gate on.
func TestStorageInCBOR(t *testing.T) {
	if _, err := storageCodec(runtime.ContentTypeCBOR); err == nil {
		t.Errorf("CBOR is stored without the CBORServingAndStorage gate")
	}
	featuregatetesting.SetFeatureGateDuringTest(t, utilfeature.DefaultFeatureGate, features.CBORServingAndStorage, true)
	codec, err := storageCodec(runtime.ContentTypeCBOR)
	if err != nil {
		t.Fatal(err)
	}
	data, err := runtime.Encode(codec, &sc.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Name: "i", Namespace: "ns"}})
	if err != nil {
		t.Fatal(err)
	}
	// CBOR's self-described tag starts every object Kubernetes encodes in CBOR.
	if !bytes.HasPrefix(data, []byte{0xd9, 0xd9, 0xf7}) {
		t.Errorf("stored as %.20q", data)
	}
	o := NewOptions()
	o.RecommendedOptions.Etcd.DefaultStorageMediaType = runtime.ContentTypeCBOR
	o.RecommendedOptions.Etcd.StorageConfig.Transport.ServerList = []string{"http://127.0.0.1:2379"}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil && strings.Contains(err.Error(), "storage-media-type") {
		t.Errorf("--storage-media-type=application/cbor refused with the gate on: %v", err)
	}
}

// TestEmbeddedEtcdQuota checks that --etcd-quota-backend-bytes is parsed and that a
// negative size is refused by name.
func TestEmbeddedEtcdQuota(t *testing.T) {
	for value, wantErr := range map[string]bool{"8589934592": false, "0": false, "-1": true} {
		o := NewOptions()
		fss := o.Flags()
		fs := fss.FlagSet("embedded etcd")
		if err := fs.Parse([]string{"--etcd-quota-backend-bytes=" + value}); err != nil {
			t.Fatal(err)
		}
		if got := strconv.FormatInt(o.EmbeddedEtcd.QuotaBackendBytes, 10); got != value {
			t.Errorf("--etcd-quota-backend-bytes=%s parsed as %s", value, got)
		}
		err := o.Validate()
		if refused := err != nil && strings.Contains(err.Error(), "--etcd-quota-backend-bytes"); refused != wantErr {
			t.Errorf("--etcd-quota-backend-bytes=%s: refused %v, want %v (%v)", value, refused, wantErr, err)
		}
	}
}
