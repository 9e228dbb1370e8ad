package osb

import (
	"errors"
	"net/http"
)

// NeedsOrphanMitigation reports whether a failed call of op must be followed by
// orphan mitigation (a DELETE of the resource), following the table of the OSB
// specification (§Orphan Mitigation):
//
//	Provision, Bind:       timeout, or a transport failure after which the
//	                       request may have arrived: yes; 5xx: yes; a 2xx other
//	                       than 200/201/202: yes; 201 or 202 with a malformed
//	                       body: yes; 200 with a malformed body: no; 408 and
//	                       every other 3xx/4xx (400, 409, 422 ...): no.
//	Deprovision, Unbind:   5xx: yes; a 2xx other than 200/202: yes; timeout,
//	                       malformed bodies and 4xx: no. For these operations
//	                       "orphan mitigation" means: keep retrying the DELETE.
//	Update and all others: never.
//
// A nil error, a locally refused request and a cancelled request that
// certainly did not reach the broker need none.
func NeedsOrphanMitigation(op Operation, err error) bool {
	if err == nil {
		return false
	}
	create := op == OperationProvision || op == OperationBind
	del := op == OperationDeprovision || op == OperationUnbind
	if !create && !del {
		return false
	}
	var (
		h *HTTPStatusCodeError
		u *UnexpectedStatusError
		m *MalformedResponseError
		t *TransportError
	)
	switch {
	case errors.As(err, &h):
		return h.StatusCode >= 500 && h.StatusCode <= 599
	case errors.As(err, &u):
		return u.StatusCode >= 200 && u.StatusCode <= 299
	case errors.As(err, &m):
		return create && (m.StatusCode == http.StatusCreated || m.StatusCode == http.StatusAccepted)
	case errors.As(err, &t):
		return create && (t.Timeout || t.MaybeReceived)
	}
	return false
}

// LastOperationNeedsOrphanMitigation reports whether a finished asynchronous
// operation of type op needs orphan mitigation: a "failed" state after an
// asynchronous provision or deprovision (delete the instance) or bind or
// unbind (delete the binding).
func LastOperationNeedsOrphanMitigation(op Operation, resp *LastOperationResponse) bool {
	if resp == nil || resp.State != StateFailed {
		return false
	}
	switch op {
	case OperationProvision, OperationDeprovision, OperationBind, OperationUnbind:
		return true
	}
	return false
}
