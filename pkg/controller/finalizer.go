package controller

import (
	"encoding/json"
)

// FinalizersPatch returns a JSON merge patch that sets an object's finalizers, guarded by
// the resourceVersion the caller read, so that it fails rather than undo a change it did
// not see.
func FinalizersPatch(resourceVersion string, finalizers []string) ([]byte, error) {
	if finalizers == nil {
		finalizers = []string{}
	}
	return json.Marshal(map[string]any{"metadata": map[string]any{
		"resourceVersion": resourceVersion,
		"finalizers":      finalizers,
	}})
}
