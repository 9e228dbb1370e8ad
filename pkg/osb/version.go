package osb

import (
	"fmt"
	"strconv"
	"strings"
)

// APIVersion is an OSB API version in MAJOR.MINOR form, as sent in the
// X-Broker-API-Version header.
type APIVersion string

// The OSB API versions this client speaks.
const (
	APIVersion2_13 APIVersion = "2.13"
	APIVersion2_14 APIVersion = "2.14"
	APIVersion2_15 APIVersion = "2.15"
	APIVersion2_16 APIVersion = "2.16"
	APIVersion2_17 APIVersion = "2.17"

	// LatestAPIVersion is the newest version this client speaks.
	LatestAPIVersion = APIVersion2_17
	// DefaultAPIVersion is the version used when Config.APIVersion is empty.
	DefaultAPIVersion = APIVersion2_17
)

// SupportedAPIVersions returns the versions this client speaks, oldest first.
func SupportedAPIVersions() []APIVersion {
	return []APIVersion{APIVersion2_13, APIVersion2_14, APIVersion2_15, APIVersion2_16, APIVersion2_17}
}

// ParseAPIVersion parses a "2.x" version string and checks that this client
// supports it.
func ParseAPIVersion(s string) (APIVersion, error) {
	v := APIVersion(strings.TrimSpace(s))
	if v.minor() < 0 {
		return "", fmt.Errorf("unsupported OSB API version %q: supported versions are 2.13 to 2.17", s)
	}
	return v, nil
}

// String returns the version as sent on the wire.
func (v APIVersion) String() string { return string(v) }

// Valid reports whether v is a version this client speaks.
func (v APIVersion) Valid() bool { return v.minor() >= 0 }

// AtLeast reports whether v is the same as or newer than o. Unsupported versions
// compare below every supported one.
func (v APIVersion) AtLeast(o APIVersion) bool { return v.minor() >= o.minor() }

// Supports reports whether a broker spoken to at version v offers feature f.
func (v APIVersion) Supports(f Feature) bool { return v.AtLeast(f.MinVersion) }

// minor returns the minor version number for 2.13 to 2.17, and -1 otherwise.
func (v APIVersion) minor() int {
	major, minor, ok := strings.Cut(string(v), ".")
	if !ok || major != "2" {
		return -1
	}
	n, err := strconv.Atoi(minor)
	if err != nil || n < 13 || n > 17 || strconv.Itoa(n) != minor {
		return -1
	}
	return n
}

// Feature is an optional OSB API capability that needs a minimum API version.
type Feature struct {
	// Name describes the feature in error messages.
	Name string
	// MinVersion is the first API version that has the feature.
	MinVersion APIVersion
}

// Features gated by the configured API version. The client refuses a request
// that needs one of them when configured for an older version; callers can ask
// first with APIVersion.Supports.
var (
	// FeatureGetInstance is GET /v2/service_instances/:id (instances_retrievable).
	FeatureGetInstance = Feature{Name: "fetching a service instance", MinVersion: APIVersion2_14}
	// FeatureGetBinding is GET .../service_bindings/:id (bindings_retrievable).
	FeatureGetBinding = Feature{Name: "fetching a service binding", MinVersion: APIVersion2_14}
	// FeatureAsyncBindings is accepts_incomplete on bind and unbind, and the
	// binding last_operation endpoint.
	FeatureAsyncBindings = Feature{Name: "asynchronous service bindings", MinVersion: APIVersion2_14}
	// FeatureMaintenanceInfo is maintenance_info on provision and update.
	FeatureMaintenanceInfo = Feature{Name: "maintenance_info", MinVersion: APIVersion2_15}
	// FeatureContextAnnotations is namespace_annotations and
	// instance_annotations in the Kubernetes context object.
	FeatureContextAnnotations = Feature{Name: "context annotations", MinVersion: APIVersion2_16}
	// FeatureBindingRotation is predecessor_binding_id on bind.
	FeatureBindingRotation = Feature{Name: "binding rotation (predecessor_binding_id)", MinVersion: APIVersion2_17}
)

// requireVersion refuses a feature the configured API version lacks.
func (c *client) requireVersion(op Operation, f Feature) error {
	if c.apiVersion.Supports(f) {
		return nil
	}
	return &UnsupportedFeatureError{Operation: op, Feature: f, APIVersion: c.apiVersion}
}

// checkContext refuses context properties the configured version lacks.
func (c *client) checkContext(op Operation, ctx *Context) error {
	if ctx != nil && (len(ctx.NamespaceAnnotations) > 0 || len(ctx.InstanceAnnotations) > 0) {
		return c.requireVersion(op, FeatureContextAnnotations)
	}
	return nil
}
