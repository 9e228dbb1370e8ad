package osb

import "strings"

func instancePath(id string) string { return "/v2/service_instances/" + escape(id) }

func bindingPath(instanceID, bindingID string) string {
	return instancePath(instanceID) + "/service_bindings/" + escape(bindingID)
}

// escape percent-encodes everything but RFC 3986 unreserved characters.
func escape(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if unreserved(ch) {
			b = append(b, ch)
			continue
		}
		b = append(b, '%', hex[ch>>4], hex[ch&15])
	}
	return string(b)
}

func unreserved(ch byte) bool {
	return 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' ||
		ch == '-' || ch == '.' || ch == '_' || ch == '~'
}

// query builds an encoded query string; empty values are skipped.
type query struct{ b strings.Builder }

func (q *query) add(key, value string) {
	if value == "" {
		return
	}
	if q.b.Len() > 0 {
		q.b.WriteByte('&')
	}
	q.b.WriteString(key)
	q.b.WriteByte('=')
	q.b.WriteString(escape(value))
}

// String returns the encoded query.
func (q *query) String() string { return q.b.String() }
