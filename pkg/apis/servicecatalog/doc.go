// +k8s:deepcopy-gen=package
// +groupName=servicecatalog.k8s.io

// Package servicecatalog holds the internal (hub) types of the servicecatalog.k8s.io API.
// Every wire version converts to and from these types; the registry, validation and
// admission work on them only.
package servicecatalog
