package osb

import (
	"encoding/base64"
	"errors"
	"net/http"
)

// Header names of the OSB API.
const (
	HeaderAPIVersion          = "X-Broker-API-Version"
	HeaderOriginatingIdentity = "X-Broker-API-Originating-Identity"
	HeaderRequestIdentity     = "X-Broker-API-Request-Identity"
)

// setHeaders sets the headers of a request: the API version, the request
// identity, the credentials and, when the request has them, its content type
// and the originating identity.
func (c *client) setHeaders(h http.Header, reqID, identity string, hasBody bool) {
	h.Set(HeaderAPIVersion, string(c.apiVersion))
	h.Set(HeaderRequestIdentity, reqID)
	h.Set("User-Agent", c.userAgent)
	h.Set("Accept", "application/json")
	if hasBody {
		h.Set("Content-Type", "application/json")
	}
	if c.authHeader != "" {
		h.Set("Authorization", c.authHeader)
	}
	if identity != "" {
		h.Set(HeaderOriginatingIdentity, identity)
	}
}

// authorization returns the Authorization header for a ("" for none) and the
// secrets it holds, which are redacted from anything the broker sends back.
func authorization(a *AuthConfig) (header string, secrets []string, err error) {
	switch {
	case a == nil:
		return "", nil, nil
	case a.Basic != nil && a.Bearer != nil:
		return "", nil, errors.New("osb: set only one of basic and bearer authentication")
	case a.Basic != nil:
		token := base64.StdEncoding.EncodeToString([]byte(a.Basic.Username + ":" + a.Basic.Password))
		return "Basic " + token, appendSecret(nil, a.Basic.Password, token), nil
	case a.Bearer != nil:
		if a.Bearer.Token == "" {
			return "", nil, errors.New("osb: bearer token is empty")
		}
		return "Bearer " + a.Bearer.Token, appendSecret(nil, a.Bearer.Token), nil
	}
	return "", nil, nil
}
