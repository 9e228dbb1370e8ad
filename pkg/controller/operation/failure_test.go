package operation

import (
	"errors"
	"fmt"
	"testing"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func status(code int, errorCode string) error {
	return &osb.HTTPStatusCodeError{StatusCode: code, ErrorCode: errorCode, Description: fmt.Sprintf("broker says %d", code)}
}

// TestClassify checks what each failed call means, for a create (provision), an update, a
// delete (deprovision) and a read (GET binding).
func TestClassify(t *testing.T) {
	timeout := &osb.TransportError{Timeout: true, MaybeReceived: true}
	malformed200 := &osb.MalformedResponseError{StatusCode: 200, Reason: "not JSON"}
	malformed201 := &osb.MalformedResponseError{StatusCode: 201, Reason: "not JSON"}
	tests := []struct {
		name                          string
		err                           error
		create, update, remove, fetch Verdict
	}{
		{"500", status(500, ""), MitigateOrphan, Retry, Retry, Retry},
		{"timeout", timeout, MitigateOrphan, Retry, Retry, Retry},
		{"201 with a malformed body", malformed201, MitigateOrphan, Retry, Retry, Retry},
		{"200 with a malformed body", malformed200, RefusedHeld, Retry, Retry, Retry},
		{"409", status(409, ""), RefusedHeld, Refused, Retry, Retry},
		{"400", status(400, ""), Refused, Refused, Retry, Retry},
		{"422 UnsupportedPlanChange", status(422, "UnsupportedPlanChange"), Refused, Refused, Retry, Retry},
		{"422 ConcurrencyError", status(422, osb.ErrorCodeConcurrencyError), Busy, Busy, Busy, Busy},
		{"422 MaintenanceInfoConflict", status(422, osb.ErrorCodeMaintenanceInfoConflict), Retry, Retry, Retry, Retry},
		{"401", status(401, ""), Retry, Retry, Retry, Retry},
		{"408", status(408, ""), Retry, Retry, Retry, Retry},
		{"412", status(412, ""), Retry, Retry, Retry, Retry},
		{"wrapped 400", fmt.Errorf("calling: %w", status(400, "")), Refused, Refused, Retry, Retry},
		{"not a broker answer", errors.New("connection refused"), Retry, Retry, Retry, Retry},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for op, want := range map[osb.Operation]Verdict{
				osb.OperationProvision: tc.create, osb.OperationBind: tc.create, osb.OperationUpdate: tc.update,
				osb.OperationDeprovision: tc.remove, osb.OperationUnbind: tc.remove, osb.OperationGetBinding: tc.fetch,
			} {
				if got := Classify(op, tc.err); got != want {
					t.Errorf("%s: verdict %d, want %d", op, got, want)
				}
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	if got, want := Describe(status(400, "")), "The broker answered 400: broker says 400"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	if got, want := Describe(errors.New("connection refused")), "The broker call failed: connection refused"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}

func TestSentence(t *testing.T) {
	for in, want := range map[string]string{
		"the broker's credentials cannot be read: auth Secret ns/x not found": "the broker's credentials cannot be read: auth Secret ns/x not found.",
		"The instance is up to date.":                                         "The instance is up to date.",
		"  ends with a space ":                                                "ends with a space.",
		"":                                                                    "",
	} {
		if got := Sentence(in); got != want {
			t.Errorf("Sentence(%q) = %q, want %q", in, got, want)
		}
	}
}
