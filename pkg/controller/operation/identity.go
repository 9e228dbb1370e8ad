package operation

import (
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Identity turns user info stored by the API server into the OSB originating identity.
func Identity(u *v1beta1.UserInfo) *osb.OriginatingIdentity {
	if u == nil {
		return nil
	}
	id := &osb.OriginatingIdentity{Username: u.Username, UID: u.UID, Groups: u.Groups}
	if len(u.Extra) > 0 {
		id.Extra = make(map[string][]string, len(u.Extra))
		for k, v := range u.Extra {
			id.Extra[k] = v
		}
	}
	return id
}

// MadeBy records, in what a request sent (props, which may be nil), the identity of the
// request the broker answered first: the one that made the object as it is, which a
// later poll does not replace.
func MadeBy(props *v1beta1.PropertiesState, requestIdentity string) {
	if props != nil && props.RequestIdentity == "" {
		props.RequestIdentity = requestIdentity
	}
}
