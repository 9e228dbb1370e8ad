// Package admission holds the catalog's admission plugins, one package each, and the
// initializer that hands them the one reader of catalog objects they share:
//
//   - planchange (ServicePlanChangeValidator) refuses to move an instance off a plan
//     that is not updatable;
//   - bindinglifecycle (ServiceBindingsLifecycle) refuses bindings to an instance that
//     is being deleted;
//   - externalid (ExternalIDUniqueness) refuses an instance or binding whose external ID
//     another one already uses;
//   - secretaccess (SecretAccessCheck) refuses objects naming a Secret the requesting
//     user may not read. It needs the Kubernetes API, so standalone mode runs without it.
//
// Every plugin validates only; none changes objects. cmd/apiserver/app/options registers
// them and enables them by default.
package admission
