package action

// condSet names the groups of condition keys an operation takes from its
// request; AWS supplies each key only to the operations it lists it for.
type condSet uint16

const (
	condSHA     condSet = 1 << iota // s3:x-amz-content-sha256 (every operation)
	condList                        // s3:prefix, s3:delimiter, s3:max-keys
	condVersion                     // s3:VersionId
	condACL                         // s3:x-amz-acl, s3:x-amz-grant-*
	condSSE                         // s3:x-amz-server-side-encryption[-aws-kms-key-id], s3:x-amz-storage-class
	condLock                        // s3:object-lock-mode, -retain-until-date, -legal-hold
	condCreate                      // s3:locationconstraint, s3:x-amz-object-ownership

	// condWrite is what writing an object takes (PutObject, CopyObject,
	// CreateMultipartUpload); the request tags of x-amz-tagging are added
	// by writeObject.
	condWrite = condACL | condSSE | condLock
)

var (
	listKeys = [...]struct{ param, key string }{
		{"prefix", "s3:prefix"}, {"delimiter", "s3:delimiter"}, {"max-keys", "s3:max-keys"},
	}
	sseHeaders = [...]struct{ header, key string }{
		{"X-Amz-Server-Side-Encryption", "s3:x-amz-server-side-encryption"},
		{"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id", "s3:x-amz-server-side-encryption-aws-kms-key-id"},
		{"X-Amz-Storage-Class", "s3:x-amz-storage-class"},
	}
	lockHeaders = [...]struct{ header, key string }{
		{"X-Amz-Object-Lock-Mode", "s3:object-lock-mode"},
		{"X-Amz-Object-Lock-Retain-Until-Date", "s3:object-lock-retain-until-date"},
		{"X-Amz-Object-Lock-Legal-Hold", "s3:object-lock-legal-hold"},
	}
)

// addConditions adds the condition keys of the groups in cs that the
// request supplies. Values share storage with the request's query and
// headers.
func (m *mapper) addConditions(cs condSet) {
	h, q := m.r.Header, m.r.Query
	if v, ok := h["X-Amz-Content-Sha256"]; ok && cs&condSHA != 0 {
		m.cond("s3:x-amz-content-sha256", v)
	}
	if cs&condList != 0 {
		for _, l := range listKeys {
			if v, ok := q[l.param]; ok {
				m.cond(l.key, v)
			}
		}
	}
	if cs&condVersion != 0 {
		if v, ok := q["versionId"]; ok {
			m.cond("s3:VersionId", v)
		}
	}
	if cs&condACL != 0 {
		for _, a := range aclHeaders {
			if v, ok := h[a.header]; ok {
				m.cond(a.key, v)
			}
		}
	}
	if cs&condSSE != 0 {
		for _, a := range sseHeaders {
			if v, ok := h[a.header]; ok {
				m.cond(a.key, v)
			}
		}
	}
	if cs&condLock != 0 {
		for _, a := range lockHeaders {
			if v, ok := h[a.header]; ok {
				m.cond(a.key, v)
			}
		}
	}
	if cs&condCreate != 0 {
		if m.r.LocationConstraint != "" {
			m.cond("s3:locationconstraint", []string{m.r.LocationConstraint})
		}
		if v, ok := h["X-Amz-Object-Ownership"]; ok {
			m.cond("s3:x-amz-object-ownership", v)
		}
	}
}
