package controller

import (
	"testing"

	"k8s.io/client-go/tools/cache"
)

func TestWrites(t *testing.T) {
	key := cache.ObjectName{Namespace: "ns", Name: "x"}
	w := NewWrites()
	if w.Stale(key, "5") {
		t.Errorf("an object the loop never wrote is stale")
	}
	w.Wrote(key, "7")
	if !w.Stale(key, "6") {
		t.Errorf("a copy older than the last write is not stale")
	}
	if w.Stale(key, "7") || w.Stale(key, "6") {
		t.Errorf("once the cache caught up, the record must be dropped")
	}

	// Removing the last finalizer answers with the resourceVersion before the write.
	w.Released(key, "9")
	if !w.Stale(key, "9") {
		t.Errorf("the copy a released object had before its deletion is not stale")
	}
	w.Forget(key)
	if w.Stale(key, "9") {
		t.Errorf("a forgotten object is stale")
	}
}
