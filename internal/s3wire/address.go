package s3wire

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxKeyLen is S3's limit on an object key: 1,024 bytes of UTF-8.
const MaxKeyLen = 1024

// Address is what a request names: a bucket (empty for the service itself,
// as in ListBuckets) and an object key (empty for bucket operations),
// decoded.
type Address struct {
	Bucket string
	Key    string
	// VirtualHosted is true when the bucket came from the Host header.
	VirtualHosted bool
}

// Resolver finds the bucket and key of a request for a gateway serving one
// or more S3 domains (--s3-domain). It is immutable and safe for
// concurrent use.
type Resolver struct {
	// domains are lowercased, without a trailing dot, longest first, so a
	// nested domain (eu.s3.example.com under s3.example.com) wins.
	domains []string
}

// NewResolver returns a Resolver for the given domains. Each must be a
// host name without scheme, port or path; an empty list is allowed and
// means every request is path-style.
func NewResolver(domains []string) (*Resolver, error) {
	r := &Resolver{}
	for _, d := range domains {
		d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
		if d == "" || strings.ContainsAny(d, ":/ \t?#[]@") || strings.HasPrefix(d, ".") {
			return nil, errors.New("s3wire: domain " + `"` + d + `"` + " is not a host name")
		}
		r.domains = append(r.domains, d)
	}
	// Longest first: insertion sort, the list is short.
	for i := 1; i < len(r.domains); i++ {
		for j := i; j > 0 && len(r.domains[j]) > len(r.domains[j-1]); j-- {
			r.domains[j], r.domains[j-1] = r.domains[j-1], r.domains[j]
		}
	}
	return r, nil
}

// Request is Address for an incoming request: its Host and the path as the
// client sent it, taken from the request-target (RequestURI) when it is in
// origin form, so that %2F and other escapes are seen exactly as sent;
// otherwise (absolute form, or a request built in-process) from
// url.URL.EscapedPath.
func (r *Resolver) Request(req *http.Request) (Address, error) {
	return r.Address(req.Host, rawPath(req))
}

func rawPath(req *http.Request) string {
	p := req.RequestURI
	if p == "" || p[0] != '/' {
		return req.URL.EscapedPath()
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// Address returns the bucket and key that host and rawPath (the path as
// sent, still percent-encoded) name.
//
// If host (less any port) is "<bucket>.<domain>" for a configured domain,
// the request is virtual-hosted and the whole path is the key. Otherwise,
// whether host is a configured domain itself or anything else (an IP
// address, localhost, a name behind a proxy), it is path-style: the first
// path segment is the bucket and the rest the key, as S3 answers on its
// plain endpoint. Host names are matched case-insensitively.
//
// The key is percent-decoded exactly once. Refused, with S3 codes:
//   - InvalidBucketName: a bucket that breaks S3's naming rules
//     (ValidBucketName), including one with an encoded slash (%2F) or any
//     other escape that does not decode to a bucket character;
//   - InvalidURI: a malformed escape, a key that is not UTF-8, or a key
//     with a "." or ".." segment (after decoding, so %2E%2E and
//     ..%2F are caught too): S3 would store "a/../b" as a literal key,
//     but any proxy or store behind the gateway that normalises paths
//     would read another object than the one authorised, so the gateway
//     refuses it rather than guessing;
//   - KeyTooLongError: a key over MaxKeyLen bytes.
func (r *Resolver) Address(host, rawPath string) (Address, error) {
	if rawPath == "" {
		rawPath = "/"
	}
	if rawPath[0] != '/' {
		return Address{}, CodeInvalidURI.New("")
	}
	if bucket, ok := r.virtualBucket(host); ok {
		if !ValidBucketName(bucket) {
			return Address{}, invalidBucket(bucket)
		}
		key, err := decodeKey(rawPath[1:])
		if err != nil {
			return Address{}, err
		}
		return Address{Bucket: bucket, Key: key, VirtualHosted: true}, nil
	}
	rest := rawPath[1:]
	rawBucket, rawKey := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rawBucket, rawKey = rest[:i], rest[i+1:]
	}
	if rawBucket == "" {
		if rawKey != "" { // "//key": a key with no bucket
			return Address{}, invalidBucket("")
		}
		return Address{}, nil
	}
	bucket, err := url.PathUnescape(rawBucket)
	if err != nil || !ValidBucketName(bucket) {
		return Address{}, invalidBucket(bucket)
	}
	key, err := decodeKey(rawKey)
	if err != nil {
		return Address{}, err
	}
	return Address{Bucket: bucket, Key: key}, nil
}

// virtualBucket returns the bucket label of a virtual-hosted host name.
func (r *Resolver) virtualBucket(host string) (string, bool) {
	if len(r.domains) == 0 || host == "" {
		return "", false
	}
	host = stripPort(host)
	host = strings.TrimSuffix(host, ".")
	host = strings.ToLower(host)
	for _, d := range r.domains { // longest first: a domain equal to host comes before its parents
		if host == d {
			return "", false
		}
		if len(host) > len(d)+1 && host[len(host)-len(d)-1] == '.' && host[len(host)-len(d):] == d {
			return host[:len(host)-len(d)-1], true
		}
	}
	return "", false
}

// stripPort removes a ":port" suffix; an IPv6 literal keeps its brackets
// (it will match no domain).
func stripPort(host string) string {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.IndexByte(host[i:], ']') >= 0 {
		return host
	}
	return host[:i]
}

func invalidBucket(bucket string) *Error {
	e := CodeInvalidBucketName.New("")
	if utf8.ValidString(bucket) {
		e.BucketName = bucket
	}
	return e
}

// decodeKey percent-decodes a key once and checks it.
func decodeKey(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	key, err := url.PathUnescape(raw)
	if err != nil {
		return "", CodeInvalidURI.New("")
	}
	if e := CheckKey(key); e != nil {
		return "", e
	}
	return key, nil
}

// CheckKey refuses a decoded object key as Address refuses one in a URL:
// KeyTooLongError over MaxKeyLen bytes, InvalidURI when it is not UTF-8 or
// has a "." or ".." segment. The gateway applies it to the keys it reads
// elsewhere too (a DeleteObjects body, a copy source), which a store
// behind it must not read as another object than the one authorized.
func CheckKey(key string) *Error {
	switch {
	case len(key) > MaxKeyLen:
		return CodeKeyTooLongError.New("")
	case !utf8.ValidString(key):
		return CodeInvalidURI.New("")
	case hasDotSegment(key):
		return CodeInvalidURI.New("The key contains a \".\" or \"..\" path segment, which this gateway does not accept.")
	}
	return nil
}

// hasDotSegment reports whether a "/"-separated segment of key is "." or "..".
func hasDotSegment(key string) bool {
	for len(key) > 0 {
		seg := key
		if i := strings.IndexByte(key, '/'); i >= 0 {
			seg, key = key[:i], key[i+1:]
		} else {
			key = ""
		}
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// ValidBucketName reports whether name follows S3's rules for general
// purpose bucket names: 3 to 63 characters of lowercase letters, digits,
// dots and hyphens; beginning and ending with a letter or digit; no two
// adjacent dots; not an IPv4 address; not beginning with "xn--", "sthree-"
// or "amzn-s3-demo-"; not ending with "-s3alias", "--ol-s3", ".mrap",
// "--x-s3" or "--table-s3". The legacy us-east-1 names (capitals,
// underscores, up to 255 characters) are not accepted.
func ValidBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	if !alnum(name[0]) || !alnum(name[len(name)-1]) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case alnum(c), c == '-':
		case c == '.':
			if name[i-1] == '.' {
				return false
			}
		default:
			return false
		}
	}
	if reserved(name) {
		return false
	}
	return !ipv4Form(name)
}

// reserved reports whether name has a prefix or suffix S3 keeps for itself
// (punycode, access point aliases, Multi-Region Access Points, directory
// and table buckets, its documentation examples).
func reserved(name string) bool {
	return strings.HasPrefix(name, "xn--") || strings.HasPrefix(name, "sthree-") ||
		strings.HasPrefix(name, "amzn-s3-demo-") ||
		strings.HasSuffix(name, "-s3alias") || strings.HasSuffix(name, "--ol-s3") ||
		strings.HasSuffix(name, ".mrap") || strings.HasSuffix(name, "--x-s3") ||
		strings.HasSuffix(name, "--table-s3")
}

func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// ipv4Form reports whether name is four dot-separated runs of digits
// (192.168.5.4, and also 1.2.3.400: S3 refuses the form, not just valid
// addresses).
func ipv4Form(name string) bool {
	parts := 0
	run := 0
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= '0' && c <= '9':
			run++
		case c == '.':
			if run == 0 {
				return false
			}
			parts++
			run = 0
		default:
			return false
		}
	}
	return run > 0 && parts == 3
}
