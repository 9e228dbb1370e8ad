package apiserver

import (
	"k8s.io/apimachinery/pkg/runtime"
)

// withoutProtobuf serves the catalog's types as JSON and YAML only. The types have no
// protobuf encoding, yet the generic API server offers protobuf for every codec factory,
// and clients that ask for protobuf first (the metadata client of kube-controller-manager's
// namespace controller, for one) then get a 500 instead of falling back to JSON. Requests
// for metadata only ("as=PartialObjectMetadataList") are answered in JSON as well.
type withoutProtobuf struct {
	runtime.NegotiatedSerializer
}

// SupportedMediaTypes drops protobuf from the wrapped serializer's media types.
func (s withoutProtobuf) SupportedMediaTypes() []runtime.SerializerInfo {
	var out []runtime.SerializerInfo
	for _, info := range s.NegotiatedSerializer.SupportedMediaTypes() {
		if info.MediaType != runtime.ContentTypeProtobuf {
			out = append(out, info)
		}
	}
	return out
}
