package osb

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// maxSharedTransports bounds the transport cache; CA bundles change rarely.
const maxSharedTransports = 64

// transportKey identifies a TLS configuration: the CA bundle's hash and
// whether verification is skipped.
type transportKey [sha256.Size + 1]byte

var transports = struct {
	sync.Mutex
	m map[transportKey]*http.Transport
}{m: map[transportKey]*http.Transport{}}

// newHTTPClient returns the HTTP client for cfg: over cfg.Transport, or else
// over the transport shared by every client with the same TLS settings.
func newHTTPClient(cfg *Config) (*http.Client, error) {
	rt := cfg.Transport
	if rt == nil {
		t, err := sharedTransport(cfg.CABundle, cfg.InsecureSkipVerify)
		if err != nil {
			return nil, err
		}
		rt = t
	}
	return &http.Client{
		Transport: rt,
		// A redirect is answered as an error status; following it could send
		// the credentials or a PUT body somewhere unexpected.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// sharedTransport returns the transport for a TLS configuration, creating it
// once. Keep-alive connections are then reused by every client of a broker.
func sharedTransport(caBundle []byte, insecure bool) (*http.Transport, error) {
	var key transportKey
	sum := sha256.Sum256(caBundle)
	copy(key[:], sum[:])
	if insecure {
		key[sha256.Size] = 1
	}
	transports.Lock()
	defer transports.Unlock()
	if t, ok := transports.m[key]; ok {
		return t, nil
	}
	tlsConfig, err := newTLSConfig(caBundle, insecure)
	if err != nil {
		return nil, err
	}
	if len(transports.m) >= maxSharedTransports {
		evictOneTransportLocked()
	}
	t := newTransport(tlsConfig)
	transports.m[key] = t
	return t, nil
}

// evictOneTransportLocked drops one cached transport, closing its idle
// connections; clients that hold it keep working.
func evictOneTransportLocked() {
	for k, old := range transports.m {
		old.CloseIdleConnections()
		delete(transports.m, k)
		return
	}
}

// newTLSConfig trusts caBundle, or the system roots when it is empty.
func newTLSConfig(caBundle []byte, insecure bool) (*tls.Config, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // an explicit per-broker opt-in
	if len(caBundle) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caBundle) {
			return nil, errors.New("osb: CA bundle contains no PEM certificates")
		}
		tlsConfig.RootCAs = pool
	}
	return tlsConfig, nil
}

// newTransport is a keep-alive transport sized for many brokers and many
// concurrent calls.
func newTransport(tlsConfig *tls.Config) *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          1000,
		MaxIdleConnsPerHost:   100,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		// HTTP/1.1 only: brokers are plain REST servers, and one connection per
		// in-flight request keeps a slow broker call from stalling the others.
		ForceAttemptHTTP2: false,
	}
}
