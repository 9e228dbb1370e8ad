package osb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// CatalogResponse is the broker's catalog.
type CatalogResponse struct {
	// Services are the offerings, in the broker's order. Each was decoded on
	// its own; call ValidateService before using one.
	Services []Service `json:"services"`
	// RequestIdentity is the X-Broker-API-Request-Identity sent.
	RequestIdentity string `json:"-"`
}

// GetCatalog fetches the broker's catalog (GET /v2/catalog). Only 200 is a
// success. A body without a "services" array is malformed; an offering that
// does not decode is kept and reported by ValidateService, so one bad
// offering does not hide the others.
func (c *client) GetCatalog(ctx context.Context) (*CatalogResponse, error) {
	r, err := c.do(ctx, &request{op: OperationGetCatalog, method: http.MethodGet, path: "/v2/catalog"})
	if err != nil {
		return nil, err
	}
	return c.parseCatalog(r)
}

func (c *client) parseCatalog(r *response) (*CatalogResponse, error) {
	const op = OperationGetCatalog
	if r.status != http.StatusOK {
		return nil, c.statusError(op, r)
	}
	if len(bytes.TrimSpace(r.body)) == 0 && r.readErr == nil {
		return nil, malformed(op, r, "empty body")
	}
	var raw struct {
		Services *[]json.RawMessage `json:"services"`
	}
	if err := decodeObject(op, r, &raw); err != nil {
		return nil, err
	}
	if raw.Services == nil {
		return nil, malformed(op, r, `"services" is missing`)
	}
	out := &CatalogResponse{Services: make([]Service, len(*raw.Services)), RequestIdentity: r.requestID}
	for i, s := range *raw.Services {
		out.Services[i] = decodeService(s)
	}
	return out, nil
}

// decodeService decodes one offering, keeping what decodes and recording the
// first type error for ValidateService.
func decodeService(raw json.RawMessage) Service {
	var s Service
	if err := json.Unmarshal(raw, &s); err != nil {
		s.decodeErr = errors.New(describeJSONError(err))
	}
	s.Metadata = nullToNil(s.Metadata)
	for i := range s.Plans {
		p := &s.Plans[i]
		p.Metadata = nullToNil(p.Metadata)
		if sc := p.Schemas; sc != nil {
			if si := sc.ServiceInstance; si != nil {
				normalizeSchema(si.Create)
				normalizeSchema(si.Update)
			}
			if sb := sc.ServiceBinding; sb != nil {
				normalizeSchema(sb.Create)
			}
		}
	}
	return s
}

func normalizeSchema(s *InputParametersSchema) {
	if s != nil {
		s.Parameters = nullToNil(s.Parameters)
	}
}

func nullToNil(raw json.RawMessage) json.RawMessage {
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	return raw
}

// ValidateService checks one catalog offering and returns every problem
// found, joined, or nil. It reports: a field of the wrong type; a missing id,
// name or description of the offering or of a plan; no plans; duplicate plan
// ids or names; a negative maximum_polling_duration; a schema or metadata
// that is not a JSON object. It is deliberately lenient about everything
// else (names with any characters, unknown "requires" values, schemas without
// $schema, non-semver maintenance versions).
func ValidateService(svc *Service) error {
	if svc == nil {
		return errors.New("offering is missing")
	}
	errs := offeringProblems(svc)
	ids := make(map[string]bool, len(svc.Plans))
	names := make(map[string]bool, len(svc.Plans))
	for i := range svc.Plans {
		errs = append(errs, planProblems(fmt.Sprintf("plans[%d]", i), &svc.Plans[i], ids, names)...)
	}
	return errors.Join(errs...)
}

// offeringProblems checks the offering's own fields.
func offeringProblems(svc *Service) []error {
	var errs []error
	if svc.decodeErr != nil {
		errs = append(errs, fmt.Errorf("offering does not decode: %w", svc.decodeErr))
	}
	if svc.ID == "" {
		errs = append(errs, errors.New("offering id is required"))
	}
	if svc.Name == "" {
		errs = append(errs, errors.New("offering name is required"))
	}
	if svc.Description == "" {
		errs = append(errs, errors.New("offering description is required"))
	}
	if !isObjectOrEmpty(svc.Metadata) {
		errs = append(errs, errors.New("offering metadata must be a JSON object"))
	}
	if len(svc.Plans) == 0 {
		errs = append(errs, errors.New("offering must have at least one plan"))
	}
	return errs
}

// planProblems checks one plan, found at where. ids and names hold those of
// the plans before it, and gain this plan's. The list may hold nils.
func planProblems(where string, p *Plan, ids, names map[string]bool) []error {
	errs := []error{
		requiredUnique(where, "id", p.ID, ids),
		requiredUnique(where, "name", p.Name, names),
	}
	if p.Description == "" {
		errs = append(errs, fmt.Errorf("%s: plan description is required", where))
	}
	if p.MaximumPollingDuration != nil && *p.MaximumPollingDuration < 0 {
		errs = append(errs, fmt.Errorf("%s: maximum_polling_duration must not be negative", where))
	}
	if !isObjectOrEmpty(p.Metadata) {
		errs = append(errs, fmt.Errorf("%s: plan metadata must be a JSON object", where))
	}
	for _, sc := range []struct {
		name   string
		schema json.RawMessage
	}{
		{"service_instance.create", p.InstanceCreateSchema()},
		{"service_instance.update", p.InstanceUpdateSchema()},
		{"service_binding.create", p.BindingCreateSchema()},
	} {
		if !isObjectOrEmpty(sc.schema) {
			errs = append(errs, fmt.Errorf("%s: schemas.%s.parameters must be a JSON object", where, sc.name))
		}
	}
	return errs
}

// requiredUnique reports a plan field that is missing or that an earlier
// plan has too, and records the value in seen.
func requiredUnique(where, field, value string, seen map[string]bool) error {
	dup := seen[value]
	seen[value] = true
	switch {
	case value == "":
		return fmt.Errorf("%s: plan %s is required", where, field)
	case dup:
		return fmt.Errorf("%s: duplicate plan %s %q", where, field, value)
	}
	return nil
}

func isObjectOrEmpty(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || raw[0] == '{'
}
