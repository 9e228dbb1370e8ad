package osb

import "strings"

// appendSecret adds secrets long enough to be redacted without mangling
// ordinary text.
func appendSecret(list []string, secrets ...string) []string {
	for _, s := range secrets {
		if len(s) >= 3 {
			list = append(list, s)
		}
	}
	return list
}

// redact removes the client's own credentials from broker-supplied text.
func (c *client) redact(s string) string {
	for _, secret := range c.secrets {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, "<redacted>")
		}
	}
	return s
}
