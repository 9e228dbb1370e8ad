// Package osb is a client for the Open Service Broker API, versions 2.13 to 2.17,
// as used by a Kubernetes platform.
//
// The Client interface has one method per OSB operation; each takes a context
// first and a request struct, and returns a response struct or an error. Every
// response and every error carries the request identity (a UUID sent as
// X-Broker-API-Request-Identity) so callers can correlate their logs and events
// with the broker's.
//
// Errors are typed so callers branch on meaning rather than on status codes:
//
//   - *HTTPStatusCodeError: the broker answered with a 3xx, 4xx or 5xx status.
//     Predicates: IsGone, IsConflict, IsAsyncRequired, IsConcurrencyError,
//     IsRequiresApp, IsMaintenanceInfoConflict, IsBadRequest, IsUnauthorized,
//     IsPreconditionFailed, IsNotFound.
//   - *UnexpectedStatusError: a 2xx status the operation does not define (for
//     example 204 on provision).
//   - *MalformedResponseError: a success status whose body could not be decoded.
//   - *TransportError: no HTTP response at all (timeout, cancellation, connection
//     failure). IsTimeout reports the timeout case.
//   - *UnsupportedFeatureError: the request needs a newer API version than the
//     client is configured for; nothing was sent.
//
// NeedsOrphanMitigation applies the orphan-mitigation table of the OSB
// specification to a failed call, and LastOperationNeedsOrphanMitigation to a
// finished asynchronous operation.
//
// A 410 Gone answer is always returned as an *HTTPStatusCodeError (IsGone), for
// Deprovision, Unbind and both last-operation polls alike: the caller decides
// what it means (an async delete that finished, a resource already deleted).
//
// The package imports only the standard library, klog and google/uuid, so it can
// be reused outside this project.
package osb
