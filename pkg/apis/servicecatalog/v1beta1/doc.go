// +k8s:openapi-gen=true
// +k8s:deepcopy-gen=package
// +k8s:conversion-gen=github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog
// +k8s:defaulter-gen=TypeMeta
// +k8s:openapi-model-package=com.github.kube-service-catalog.catalog.pkg.apis.servicecatalog.v1beta1
// +groupName=servicecatalog.k8s.io

// Package v1beta1 is the v1beta1 wire version of the servicecatalog.k8s.io API: the
// version users write and kubectl shows. Field names follow the historic service catalog,
// so existing manifests apply unchanged.
package v1beta1
