package broker

// tombstones remembers a bounded number of deleted ids, so that a poll after
// a delete can answer 410 Gone rather than 404.
type tombstones struct {
	set  map[string]struct{}
	ring []string
	next int
}

func newTombstones(n int) *tombstones {
	return &tombstones{set: map[string]struct{}{}, ring: make([]string, 0, min(n, 1024)), next: 0}
}

func (t *tombstones) add(id string) {
	if _, ok := t.set[id]; ok {
		return
	}
	if len(t.ring) < maxTombstones {
		t.ring = append(t.ring, id)
	} else {
		delete(t.set, t.ring[t.next])
		t.ring[t.next] = id
		t.next = (t.next + 1) % len(t.ring)
	}
	t.set[id] = struct{}{}
}

func (t *tombstones) has(id string) bool {
	_, ok := t.set[id]
	return ok
}

func (t *tombstones) remove(id string) {
	// The ring slot stays; a later add of the same id re-adds it to the set.
	delete(t.set, id)
}
