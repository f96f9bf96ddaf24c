package awsquery

import (
	"encoding/base64"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/brevet-dev/brevet/internal/request"
)

// AppendResponse appends the XML response of a successful action:
//
//	<{Action}Response xmlns="{namespace}">
//	  <{ResultWrapper}>...output...</{ResultWrapper}>
//	  <ResponseMetadata><RequestId>{requestID}</RequestId></ResponseMetadata>
//	</{Action}Response>
//
// The result element is left out when the action has no output shape, and
// ResponseMetadata when requestID is empty.
func AppendResponse(dst []byte, op *OperationInfo, out *Value, requestID string) []byte {
	wrapper := op.ResultWrapper
	if wrapper == "" {
		wrapper = op.Name + "Result"
	}
	return appendResponse(dst, op.Name, op.Service.Namespace, wrapper, op.Output, out, requestID)
}

func appendResponse(dst []byte, action, namespace, wrapper string, s *Shape, out *Value, requestID string) []byte {
	dst = append(dst, '<')
	dst = append(dst, action...)
	dst = append(dst, "Response"...)
	dst = appendNS(dst, "", namespace)
	dst = append(dst, '>')
	if s != nil {
		dst = openTag(dst, wrapper, "", "")
		if out != nil && out.Set {
			dst = appendMembers(dst, s, out)
		}
		dst = closeTag(dst, wrapper)
	}
	if requestID != "" {
		dst = append(dst, "<ResponseMetadata><RequestId>"...)
		dst = appendText(dst, requestID)
		dst = append(dst, "</RequestId></ResponseMetadata>"...)
	}
	dst = append(dst, "</"...)
	dst = append(dst, action...)
	dst = append(dst, "Response>"...)
	return dst
}

// AppendError appends the <ErrorResponse> envelope of a wire error. An
// empty namespace leaves out the xmlns attribute.
func AppendError(dst []byte, namespace string, e *Error, requestID string) []byte {
	dst = append(dst, "<ErrorResponse"...)
	dst = appendNS(dst, "", namespace)
	dst = append(dst, "><Error><Type>"...)
	dst = append(dst, e.Code.Fault()...)
	dst = append(dst, "</Type><Code>"...)
	dst = appendText(dst, e.Code.Name)
	dst = append(dst, "</Code><Message>"...)
	dst = appendText(dst, e.Message)
	dst = append(dst, "</Message></Error><RequestId>"...)
	dst = appendText(dst, requestID)
	dst = append(dst, "</RequestId></ErrorResponse>"...)
	return dst
}

// WriteError writes a wire error as a complete HTTP response, for use
// before dispatch (for example when the server rejects a body as too large)
// as well as by the Dispatcher itself.
func WriteError(w http.ResponseWriter, svc *Service, e *Error, requestID string) {
	ns := ""
	if svc != nil {
		ns = svc.Namespace
	}
	if e.RetryAfter > 0 {
		w.Header()["Retry-After"] = []string{request.RetryAfterSeconds(e.RetryAfter)}
	}
	bp := getXMLBuf()
	*bp = AppendError(*bp, ns, e, requestID)
	writeXML(w, e.Code.Status, *bp, requestID)
	putXMLBuf(bp)
}

// xmlBufs holds response buffers. A response is built whole, since its
// length goes in Content-Length, and Write copies it out (an io.Writer
// does not keep what it is given), after which the buffer is free again:
// reusing it saves allocating and zeroing one the size of each response.
var xmlBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, 2048) // an AssumeRole response with its token fits
	return &b
}}

// maxPooledXML bounds the buffers kept, so that one large IAM listing does
// not pin its buffer for good.
const maxPooledXML = 64 << 10

// getXMLBuf returns an empty buffer; give it back with putXMLBuf once
// written.
func getXMLBuf() *[]byte {
	bp := xmlBufs.Get().(*[]byte)
	*bp = (*bp)[:0]
	return bp
}

func putXMLBuf(bp *[]byte) {
	if cap(*bp) <= maxPooledXML {
		xmlBufs.Put(bp)
	}
}

// Header keys as http.Header.Set would canonicalize them, so that writing
// them does not canonicalize (and, for the request id, allocate) per
// response.
const (
	headerContentType   = "Content-Type"
	headerContentLength = "Content-Length"
	headerRequestID     = "X-Amzn-Requestid" // AWS spells it x-amzn-RequestId
)

// writeXML writes an XML body with the headers AWS sends.
func writeXML(w http.ResponseWriter, status int, body []byte, requestID string) {
	h := w.Header()
	// The three values share one allocation; each is capped so that an
	// Add to one header cannot overwrite the next.
	vals := make([]string, 3)
	vals[0], vals[1], vals[2] = "text/xml", strconv.Itoa(len(body)), requestID
	h[headerContentType] = vals[0:1:1]
	h[headerContentLength] = vals[1:2:2]
	if requestID != "" {
		h[headerRequestID] = vals[2:3:3]
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func appendMembers(dst []byte, s *Shape, v *Value) []byte {
	for i := range s.Members {
		if i >= len(v.Elems) || !v.Elems[i].Set {
			continue
		}
		m := &s.Members[i]
		dst = appendRef(dst, m.elementName(), &m.Ref, m.flattened(), &v.Elems[i])
	}
	return dst
}

// appendRef writes the element(s) for a value reached through r.
func appendRef(dst []byte, name string, r *Ref, flattened bool, v *Value) []byte {
	s := r.Shape
	switch {
	case s.Kind == KindList && flattened:
		ns, prefix := r.XMLNamespace, r.XMLNamespacePrefix
		if s.Member.XMLNamespace != "" {
			ns, prefix = s.Member.XMLNamespace, s.Member.XMLNamespacePrefix
		}
		for i := range v.Elems {
			dst = openTag(dst, name, prefix, ns)
			dst = appendContent(dst, s.Member.Shape, &v.Elems[i])
			dst = closeTag(dst, name)
		}
		return dst
	case s.Kind == KindMap && flattened:
		for i := range v.Elems {
			dst = openTag(dst, name, r.XMLNamespacePrefix, r.XMLNamespace)
			dst = appendEntry(dst, s, &v.Elems[i])
			dst = closeTag(dst, name)
		}
		return dst
	}
	dst = openTag(dst, name, r.XMLNamespacePrefix, r.XMLNamespace)
	dst = appendContent(dst, s, v)
	return closeTag(dst, name)
}

func appendEntry(dst []byte, s *Shape, e *Value) []byte {
	kv := e.Elems
	dst = appendRef(dst, refName(s.Key, "key"), s.Key, false, &kv[0])
	if kv[1].Set {
		dst = appendRef(dst, refName(s.Value, "value"), s.Value, s.Value.Flattened || s.Value.Shape.Flattened, &kv[1])
	}
	return dst
}

// appendContent writes what goes between a value's tags.
func appendContent(dst []byte, s *Shape, v *Value) []byte {
	switch s.Kind {
	case KindStructure:
		return appendMembers(dst, s, v)
	case KindList:
		name := listMemberName(s)
		for i := range v.Elems {
			dst = appendRef(dst, name, s.Member, false, &v.Elems[i])
		}
		return dst
	case KindMap:
		for i := range v.Elems {
			dst = append(dst, "<entry>"...)
			dst = appendEntry(dst, s, &v.Elems[i])
			dst = append(dst, "</entry>"...)
		}
		return dst
	case KindString:
		return appendText(dst, v.Str)
	case KindBoolean:
		return strconv.AppendBool(dst, v.Bool)
	case KindInteger, KindLong:
		return strconv.AppendInt(dst, v.Int, 10)
	case KindFloat:
		return appendFloat(dst, v.Float, 32)
	case KindDouble:
		return appendFloat(dst, v.Float, 64)
	case KindTimestamp:
		return appendTimestamp(dst, v.Time, s.TimestampFormat)
	case KindBlob:
		return base64.StdEncoding.AppendEncode(dst, v.Bytes)
	}
	return dst
}

func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

// iso8601 is the timestamp layout of responses: UTC, Z, milliseconds only
// when not zero.
const iso8601 = "2006-01-02T15:04:05.999Z07:00"

func formatISO8601(t time.Time) string { return t.UTC().Format(iso8601) }

func appendTimestamp(dst []byte, t time.Time, f TimestampFormat) []byte {
	switch f {
	case TimestampUnix:
		ms := t.UnixMilli()
		if ms%1000 == 0 {
			return strconv.AppendInt(dst, ms/1000, 10)
		}
		return strconv.AppendFloat(dst, float64(ms)/1000, 'f', -1, 64)
	case TimestampRFC822:
		return t.UTC().AppendFormat(dst, http.TimeFormat)
	}
	return t.UTC().AppendFormat(dst, iso8601)
}

func appendNS(dst []byte, prefix, ns string) []byte {
	if ns == "" {
		return dst
	}
	dst = append(dst, " xmlns"...)
	if prefix != "" {
		dst = append(dst, ':')
		dst = append(dst, prefix...)
	}
	dst = append(dst, `="`...)
	dst = appendText(dst, ns)
	return append(dst, '"')
}

func openTag(dst []byte, name, prefix, ns string) []byte {
	dst = append(dst, '<')
	dst = append(dst, name...)
	dst = appendNS(dst, prefix, ns)
	return append(dst, '>')
}

func closeTag(dst []byte, name string) []byte {
	dst = append(dst, "</"...)
	dst = append(dst, name...)
	return append(dst, '>')
}

// appendText escapes s for XML text and attribute values. Characters XML
// cannot carry become U+FFFD; \r is escaped so it survives parsing.
func appendText(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if esc := xmlEscapes[c]; esc != "" {
				dst = append(dst, s[start:i]...)
				dst = append(dst, esc...)
				start = i + 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF) {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			start = i + size
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// xmlEscapes is what appendText writes for each ASCII byte, "" for the
// byte itself. A table lookup per byte is what keeps appendText cheap on
// the long base64 strings of responses (session tokens).
var xmlEscapes = func() (t [utf8.RuneSelf]string) {
	for c := range byte(0x20) {
		if c != '\n' && c != '\t' {
			t[c] = "\uFFFD"
		}
	}
	t['\r'] = "&#xD;"
	t['<'], t['>'], t['&'], t['"'], t['\''] = "&lt;", "&gt;", "&amp;", "&quot;", "&apos;"
	return t
}()
