package authzapi

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/brevet-dev/brevet/internal/identity"
)

// The identity headers an allowed request carries to the upstream.
const (
	HeaderPrincipalARN   = "X-Brevet-Principal-Arn"
	HeaderAccount        = "X-Brevet-Account"
	HeaderPrincipalID    = "X-Brevet-Principal-Id"
	HeaderSessionName    = "X-Brevet-Session-Name"
	HeaderSourceIdentity = "X-Brevet-Source-Identity"
	HeaderRequestID      = "X-Brevet-Request-Id"
	// HeaderTags holds every session tag, URL-encoded as a query
	// (k1=v1&k2=v2): one header nginx can pass on whatever the tags.
	HeaderTags = "X-Brevet-Tags"
	// HeaderTagPrefix starts one header per session tag.
	HeaderTagPrefix = "X-Brevet-Tag-"
	// headerPrefix starts every identity header: the proxy drops those
	// the client sent.
	headerPrefix = "X-Brevet-"
)

// identityHeaders are the headers an allowed request carries upstream.
func identityHeaders(p *identity.Principal, rid string) []Header {
	h := []Header{{HeaderRequestID, rid}}
	if p == nil {
		return h
	}
	h = append(h, Header{HeaderPrincipalARN, p.CallerARN}, Header{HeaderAccount, p.Account})
	if p.PrincipalID != "" {
		h = append(h, Header{HeaderPrincipalID, p.PrincipalID})
	}
	c := p.Session
	if c == nil {
		return h
	}
	if c.SessionName != "" {
		h = append(h, Header{HeaderSessionName, headerValue(c.SessionName)})
	}
	if c.SourceIdentity != "" {
		h = append(h, Header{HeaderSourceIdentity, headerValue(c.SourceIdentity)})
	}
	if len(c.Tags) == 0 {
		return h
	}
	q := url.Values{}
	tags := make([]Header, 0, len(c.Tags))
	for _, t := range c.Tags {
		q.Set(t.Key, t.Value)
		tags = append(tags, Header{HeaderTagPrefix + headerToken(t.Key), headerValue(t.Value)})
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Name < tags[j].Name })
	h = append(h, Header{HeaderTags, q.Encode()})
	return append(h, tags...)
}

// headerToken makes a tag key a header name: letters, digits and -_.
// stay, everything else is percent-encoded; tag keys are
// case-insensitive, header names too.
func headerToken(s string) string {
	return http.CanonicalHeaderKey(percentEncode(s, func(c byte) bool {
		return isLetter(c) || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
	}))
}

// headerValue percent-encodes what a header value cannot carry as is:
// controls, non-ASCII bytes and %.
func headerValue(s string) string {
	return percentEncode(s, func(c byte) bool { return 0x20 <= c && c <= 0x7e && c != '%' })
}

// percentEncode percent-encodes the bytes of s that keep refuses; it
// returns s itself when it keeps every byte.
func percentEncode(s string, keep func(byte) bool) string {
	i := 0
	for i < len(s) && keep(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		if c := s[i]; keep(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&15])
		}
	}
	return b.String()
}

// spoofed are the identity headers the client sent itself that the
// answer does not set: the proxy removes them, so the upstream sees only
// Brevet's.
func spoofed(h http.Header, set []Header) []string {
	var out []string
	for name := range h {
		if len(name) < len(headerPrefix) || !strings.EqualFold(name[:len(headerPrefix)], headerPrefix) {
			continue
		}
		found := false
		for _, s := range set {
			if strings.EqualFold(s.Name, name) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, strings.ToLower(name))
		}
	}
	sort.Strings(out)
	return out
}
