package x509

import (
	stdx509 "crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The certificate fields attribute mapping rules apply to (Roles
// Anywhere's CertificateField).
const (
	FieldSubject = "x509Subject"
	FieldIssuer  = "x509Issuer"
	FieldSAN     = "x509SAN"
)

// Session tag limits (STS): longer keys or values are not mapped.
const (
	MaxTagKey   = 128
	MaxTagValue = 256
)

// MappingRule selects what one certificate field contributes to the
// session tags, as a Roles Anywhere profile's attribute mapping does.
// Specifiers for x509Subject and x509Issuer are RDN names ("CN", "OU", …)
// or "*" for every supported RDN; for x509SAN they are "DNS", "URI" (the
// first of each), and "Name/*" (also written "Name" or "Name/") or
// "Name/CN" and the like for the RDNs of the first directory name; "*"
// on x509SAN means all three.
type MappingRule struct {
	Field      string
	Specifiers []string
}

// DefaultMapping is the mapping of a profile without attribute mappings
// of its own, as AWS sets it: every supported RDN of the subject and the
// issuer, and the first DNS name, URI and directory name of the SAN.
func DefaultMapping() []MappingRule {
	return []MappingRule{
		{Field: FieldSubject, Specifiers: []string{"*"}},
		{Field: FieldIssuer, Specifiers: []string{"*"}},
		{Field: FieldSAN, Specifiers: []string{"DNS", "URI", "Name/*"}},
	}
}

// rdn is a supported relative distinguished name.
type rdn struct {
	name string
	oid  asn1.ObjectIdentifier
}

// supportedRDNs are the RDNs mapped to tags, in tag order.
var supportedRDNs = [...]rdn{
	{"CN", asn1.ObjectIdentifier{2, 5, 4, 3}},
	{"OU", asn1.ObjectIdentifier{2, 5, 4, 11}},
	{"O", asn1.ObjectIdentifier{2, 5, 4, 10}},
	{"L", asn1.ObjectIdentifier{2, 5, 4, 7}},
	{"ST", asn1.ObjectIdentifier{2, 5, 4, 8}},
	{"C", asn1.ObjectIdentifier{2, 5, 4, 6}},
	{"DC", asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}},
	{"UID", asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}},
}

// ValidSpecifier reports whether spec is a specifier field accepts, for
// PutAttributeMapping's validation.
func ValidSpecifier(field, spec string) bool {
	switch field {
	case FieldSubject, FieldIssuer:
		return spec == "*" || rdnByName(spec) != nil
	case FieldSAN:
		switch spec {
		case "*", "DNS", "URI", "Name", "Name/", "Name/*":
			return true
		}
		name, ok := strings.CutPrefix(spec, "Name/")
		return ok && rdnByName(name) != nil
	}
	return false
}

func rdnByName(name string) *rdn {
	for i := range supportedRDNs {
		if strings.EqualFold(supportedRDNs[i].name, name) {
			return &supportedRDNs[i]
		}
	}
	return nil
}

// Tag is a session tag.
type Tag struct {
	Key, Value string
}

// Identity is what a certificate contributes to a session.
type Identity struct {
	// Tags are the session tags the mapping rules produced, each key
	// once, in rule order.
	Tags []Tag
	// Dropped are the keys of attributes not mapped because their value
	// is not a valid session tag value: longer than MaxTagValue
	// characters, or holding a character STS refuses in tag values (a
	// comma in "O=Example, Inc."). STS would refuse the whole session;
	// the certificate is good, so only the tag is left out.
	Dropped []string
	// SourceIdentity is the subject's CN, as Roles Anywhere sets it; ""
	// when there is none or it is not a valid source identity (2 to 64
	// characters of letters, digits and _+=,.@-).
	SourceIdentity string
	// SessionName is the role session name Roles Anywhere uses: the
	// serial number in hex.
	SessionName string
}

// Attributes maps leaf's subject, issuer and subject alternative names to
// session tags by rules (DefaultMapping when nil), as Roles Anywhere
// does: "x509Subject/CN", "x509Issuer/O", "x509SAN/DNS",
// "x509SAN/Name/CN" and the like, each the first value of its kind.
// Specifiers that are not valid for their field map nothing.
func Attributes(leaf *stdx509.Certificate, rules []MappingRule) Identity {
	if rules == nil {
		rules = DefaultMapping()
	}
	var id Identity
	seen := map[string]bool{}
	add := func(key, value string) {
		if value == "" || seen[key] || len(key) > MaxTagKey {
			return
		}
		seen[key] = true
		if utf8.RuneCountInString(value) > MaxTagValue || !validTagValue(value) {
			id.Dropped = append(id.Dropped, key)
			return
		}
		id.Tags = append(id.Tags, Tag{Key: key, Value: value})
	}
	var dirName *pkix.Name
	dirNameDone := false
	for _, r := range rules {
		for _, spec := range r.Specifiers {
			switch r.Field {
			case FieldSubject, FieldIssuer:
				name := leaf.Subject
				if r.Field == FieldIssuer {
					name = leaf.Issuer
				}
				addRDNs(add, r.Field+"/", name.Names, spec)
			case FieldSAN:
				if spec == "*" || spec == "DNS" {
					if len(leaf.DNSNames) > 0 {
						add(FieldSAN+"/DNS", leaf.DNSNames[0])
					}
				}
				if spec == "*" || spec == "URI" {
					if len(leaf.URIs) > 0 {
						add(FieldSAN+"/URI", leaf.URIs[0].String())
					}
				}
				sub, ok := strings.CutPrefix(spec, "Name")
				if spec == "*" {
					sub, ok = "/*", true
				}
				if !ok || (sub != "" && sub[0] != '/') {
					continue
				}
				if !dirNameDone {
					dirName, dirNameDone = firstDirectoryName(leaf), true
				}
				if dirName == nil {
					continue
				}
				sub = strings.TrimPrefix(sub, "/")
				if sub == "" {
					sub = "*"
				}
				addRDNs(add, FieldSAN+"/Name/", dirName.Names, sub)
			}
		}
	}
	id.SourceIdentity = firstValue(leaf.Subject.Names, supportedRDNs[0].oid)
	if !validSourceIdentity(id.SourceIdentity) {
		id.SourceIdentity = ""
	}
	if leaf.SerialNumber != nil {
		id.SessionName = hex.EncodeToString(leaf.SerialNumber.Bytes())
	}
	return id
}

// addRDNs adds the first value of each RDN spec selects ("*": every
// supported one).
func addRDNs(add func(key, value string), prefix string, names []pkix.AttributeTypeAndValue, spec string) {
	if spec == "*" {
		for _, r := range supportedRDNs {
			add(prefix+r.name, firstValue(names, r.oid))
		}
		return
	}
	if r := rdnByName(spec); r != nil {
		add(prefix+r.name, firstValue(names, r.oid))
	}
}

// firstValue returns the first value of the attribute oid, as a string.
func firstValue(names []pkix.AttributeTypeAndValue, oid asn1.ObjectIdentifier) string {
	for _, n := range names {
		if n.Type.Equal(oid) {
			if s, ok := n.Value.(string); ok {
				return s
			}
			return fmt.Sprint(n.Value)
		}
	}
	return ""
}

var oidSAN = asn1.ObjectIdentifier{2, 5, 29, 17}

// firstDirectoryName returns the first directoryName of leaf's subject
// alternative names, which crypto/x509 does not expose; nil when none.
func firstDirectoryName(leaf *stdx509.Certificate) *pkix.Name {
	for _, ext := range leaf.Extensions {
		if !ext.Id.Equal(oidSAN) {
			continue
		}
		var names []asn1.RawValue
		if rest, err := asn1.Unmarshal(ext.Value, &names); err != nil || len(rest) > 0 {
			return nil
		}
		for _, n := range names {
			if n.Class != asn1.ClassContextSpecific || n.Tag != 4 || !n.IsCompound {
				continue
			}
			var seq pkix.RDNSequence
			if rest, err := asn1.Unmarshal(n.Bytes, &seq); err != nil || len(rest) > 0 {
				return nil
			}
			var name pkix.Name
			name.FillFromRDNSequence(&seq)
			return &name
		}
	}
	return nil
}

// validSourceIdentity reports whether s is a valid STS source identity.
func validSourceIdentity(s string) bool {
	if len(s) < 2 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0) {
			return false
		}
	}
	return true
}

// validTagValue reports whether v fits STS's pattern for session tag
// values: letters, numbers, white space and _.:/=+-@.
func validTagValue(v string) bool {
	for _, r := range v {
		switch {
		case unicode.IsLetter(r), unicode.IsNumber(r), unicode.Is(unicode.Z, r):
		case strings.ContainsRune("_.:/=+-@", r):
		default:
			return false
		}
	}
	return true
}
