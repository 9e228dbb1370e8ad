package controller

import (
	"k8s.io/apimachinery/pkg/runtime"
)

// defaultCatalog is a small catalog: a sync plan, an async plan, a plan that cannot be
// changed to another, and a non-bindable plan.
const defaultCatalog = `
services:
- name: db-{id}
  id: db-{id}-service
  description: A database
  bindable: true
  plan_updateable: true
  tags: [sql, database]
  metadata: {displayName: "Database {id}", documentationUrl: "https://docs.example.com/db"}
  plans:
  - name: small
    id: db-{id}-small
    description: A small database
    schemas:
      service_instance:
        create:
          parameters: {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "properties": {"size": {"type": "string"}}}
  - name: large
    id: db-{id}-large
    description: A large database, provisioned asynchronously
    free: false
    maximum_polling_duration: 600
    maintenance_info: {version: 1.2.0, description: first release}
    metadata:
      testBroker:
        provision: {mode: async, asyncPolls: 2}
        update: {mode: async, asyncPolls: 1}
        deprovision: {mode: async, asyncPolls: 1}
  - name: fixed
    id: db-{id}-fixed
    description: A plan instances cannot leave
    plan_updateable: false
  - name: nobind
    id: db-{id}-nobind
    description: Cannot be bound
    bindable: false
`

func rawJSON(s string) *runtime.RawExtension {
	return &runtime.RawExtension{Raw: []byte(s)}
}
