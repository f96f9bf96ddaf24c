package sigv4

import (
	"bytes"
	"sort"
	"strings"
)

// unreserved marks the RFC 3986 unreserved characters, the only bytes
// SigV4's URI encoding leaves as they are (besides '/' in paths).
var unreserved = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['_'], t['.'], t['~'] = true, true, true, true
	return t
}()

const upperHex = "0123456789ABCDEF"

// appendEscaped appends s URI-encoded as SigV4 wants: every byte but the
// unreserved ones (and '/', when keepSlash) as %XX with upper-case hex.
func appendEscaped(b []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] || (keepSlash && c == '/') {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return b
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// appendEscapedDecoded appends s percent-decoded and then URI-encoded, so
// that "%24", "$" and "%2f"/"%2F" variants all come out in one canonical
// form. A '%' not followed by two hex digits is taken literally; '+' is a
// literal plus (RFC 3986), not a space.
func appendEscapedDecoded(b []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				c = hi<<4 | lo
				i += 2
			}
		}
		if unreserved[c] || (keepSlash && c == '/') {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return b
}

// unescape percent-decodes s ('+' stays '+'). It returns s itself when
// there is nothing to decode.
func unescape(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				c = hi<<4 | lo
				i += 2
			}
		}
		b = append(b, c)
	}
	return string(b)
}

// appendCanonicalPath appends the canonical URI of a wire path.
//
// For most services (normalize) the path is cleaned the way botocore and
// aws-c-auth do it: empty and "." segments dropped, ".." pops, a trailing
// slash kept, and then encoded once more, so "%20" on the wire becomes
// "%2520" (the "double encoding"). For S3 (!normalize) the path keeps its
// segments and is encoded exactly once: decoded and re-encoded.
func appendCanonicalPath(b []byte, path string, normalize bool) []byte {
	if path == "" {
		return append(b, '/')
	}
	if !normalize {
		return appendEscapedDecoded(b, path, true)
	}
	if path[0] == '/' {
		b = append(b, '/')
	}
	var stack [32]int
	marks := stack[:0]
	for rest := path; ; {
		seg := rest
		i := strings.IndexByte(rest, '/')
		if i >= 0 {
			seg, rest = rest[:i], rest[i+1:]
		}
		switch seg {
		case "", ".":
		case "..":
			if n := len(marks); n > 0 {
				b = b[:marks[n-1]]
				marks = marks[:n-1]
			}
		default:
			marks = append(marks, len(b))
			if len(marks) > 1 {
				b = append(b, '/')
			}
			b = appendEscaped(b, seg, false)
		}
		if i < 0 {
			break
		}
	}
	if len(marks) > 0 && path[len(path)-1] == '/' {
		b = append(b, '/')
	}
	return b
}

// queryParam is one encoded key=value pair of a canonical query, as
// offsets into a scratch buffer.
type queryParam struct{ ks, ke, ve int }

type querySorter struct {
	enc    []byte
	params []queryParam
}

func (q *querySorter) Len() int      { return len(q.params) }
func (q *querySorter) Swap(i, j int) { q.params[i], q.params[j] = q.params[j], q.params[i] }
func (q *querySorter) Less(i, j int) bool {
	a, b := q.params[i], q.params[j]
	if c := bytes.Compare(q.enc[a.ks:a.ke], q.enc[b.ks:b.ke]); c != 0 {
		return c < 0
	}
	return bytes.Compare(q.enc[a.ke:a.ve], q.enc[b.ke:b.ve]) < 0
}

// appendCanonicalQuery appends the canonical query string: every
// parameter decoded and re-encoded, "k" written as "k=", sorted by key
// then value. With presigned set, X-Amz-Signature is left out.
//
// With skipToken also set, X-Amz-Security-Token is left out too: some
// signers add the session token to a presigned URL after signing it.
func appendCanonicalQuery(b []byte, raw string, presigned, skipToken bool, q *querySorter) []byte {
	if raw == "" {
		return b
	}
	q.enc, q.params = q.enc[:0], q.params[:0]
	for rest := raw; rest != ""; {
		pair := rest
		if i := strings.IndexByte(rest, '&'); i >= 0 {
			pair, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if presigned && (isParam(k, "X-Amz-Signature") || skipToken && isParam(k, "X-Amz-Security-Token")) {
			continue
		}
		ks := len(q.enc)
		q.enc = appendEscapedDecoded(q.enc, k, false)
		ke := len(q.enc)
		q.enc = appendEscapedDecoded(q.enc, v, false)
		q.params = append(q.params, queryParam{ks, ke, len(q.enc)})
	}
	if len(q.params) > 1 {
		sort.Sort(q)
	}
	for i, p := range q.params {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, q.enc[p.ks:p.ke]...)
		b = append(b, '=')
		b = append(b, q.enc[p.ke:p.ve]...)
	}
	return b
}

// isParam reports whether the raw (possibly encoded) query key k is name.
func isParam(k, name string) bool {
	if k == name {
		return true
	}
	return strings.IndexByte(k, '%') >= 0 && unescape(k) == name
}

// appendHeaderValue appends a header value trimmed, with every run of
// whitespace (including the CR LF of obs-folded lines) turned into one
// space, as SigV4 canonical headers want.
func appendHeaderValue(b []byte, v string) []byte {
	started, space := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			space = started
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		b = append(b, c)
		started = true
	}
	return b
}

// appendCanonicalHeaders appends "name:value\n" for each signed header,
// in the order of signedHeaders (which clients send sorted). Multiple
// values of one header are joined with ','. A signed header missing
// from the request is written with an empty value, and so fails to
// match any honest signature.
func appendCanonicalHeaders(b []byte, req *Request, signedHeaders string) []byte {
	for rest := signedHeaders; rest != ""; {
		name := rest
		if i := strings.IndexByte(rest, ';'); i >= 0 {
			name, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		for i := 0; i < len(name); i++ {
			c := name[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
		b = append(b, ':')
		if len(name) == 4 && strings.EqualFold(name, "host") && req.Host != "" {
			b = appendHeaderValue(b, req.Host)
		} else {
			for i, v := range headerValues(req.Header, name) {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendHeaderValue(b, v)
			}
		}
		b = append(b, '\n')
	}
	return b
}

// canonicalInput is what a canonical request needs beyond the Request.
type canonicalInput struct {
	signedHeaders string
	presigned     bool
	skipToken     bool // presigned: leave X-Amz-Security-Token out of the query
	normalize     bool
	payloadHash   []byte // hex digest or a literal such as UNSIGNED-PAYLOAD
}

// appendCanonicalRequest appends the SigV4 canonical request.
func appendCanonicalRequest(b []byte, req *Request, in *canonicalInput, q *querySorter) []byte {
	b = append(b, req.Method...)
	b = append(b, '\n')
	b = appendCanonicalPath(b, req.Path, in.normalize)
	b = append(b, '\n')
	b = appendCanonicalQuery(b, req.RawQuery, in.presigned, in.skipToken, q)
	b = append(b, '\n')
	b = appendCanonicalHeaders(b, req, in.signedHeaders)
	b = append(b, '\n')
	b = append(b, in.signedHeaders...)
	b = append(b, '\n')
	b = append(b, in.payloadHash...)
	return b
}
