package audit

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The event encoder below writes exactly the bytes json.Marshal writes for
// an *Event, without reflection. It has to be byte for byte the same: the
// hash chain hashes the bytes as written, readers decode them with
// encoding/json, and events written before it existed were made by
// json.Marshal. Tests compare the two on a table of events and by
// fuzzing; any value it does not encode itself (named types, time.Time,
// json.Number, typed maps and slices, ...) is handed to json.Marshal, and
// anything json.Marshal would reject (NaN, unsupported types, nesting
// deeper than its cycle check allows) makes it give the whole event to
// json.Marshal, so that the error is json.Marshal's own.

// maxDepth is the nesting of maps and slices beyond which the encoder
// gives the event to json.Marshal, whose cycle detection starts there.
const maxDepth = 1000

// AppendJSON appends the event's JSON to b: the same bytes, and the same
// error, as json.Marshal(e).
func (e *Event) AppendJSON(b []byte) ([]byte, error) {
	b, _, err := e.appendJSON(b, false, 0)
	return b, err
}

// appendJSON appends the event's JSON; with redact, the parameters and
// response elements are written as Redact would return them, so the bytes
// are those of json.Marshal of the event with both maps redacted. With
// maxField > 0, requestParameters or responseElements whose JSON would
// be longer than maxField bytes are written as their omitted marker
// (see omittedMarker); omitted is how many were.
func (e *Event) appendJSON(b []byte, redact bool, maxField int) (out []byte, omitted int, err error) {
	enc := encoder{b: b, redact: redact, maxField: maxField}
	if enc.event(e) {
		return enc.b, enc.omitted, nil
	}
	// Rare: give the event to json.Marshal. A copy, so that e itself
	// need not escape to the heap on the common path.
	ev := *e
	if redact {
		ev.RequestParameters = Redact(ev.RequestParameters)
		ev.ResponseElements = Redact(ev.ResponseElements)
	}
	if maxField > 0 {
		for _, m := range []*map[string]any{&ev.RequestParameters, &ev.ResponseElements} {
			j, err := json.Marshal(*m)
			if err == nil && len(j) > maxField {
				*m = omittedMap(j)
				omitted++
			}
		}
	}
	j, err := json.Marshal(&ev)
	if err != nil {
		return b, 0, err
	}
	return append(b, j...), omitted, nil
}

// encoder appends JSON to b. Its methods return false when the event must
// be left to json.Marshal.
type encoder struct {
	b        []byte
	redact   bool
	depth    int
	maxField int // see appendJSON
	omitted  int
}

// capped appends m as field's value, or its omitted marker when its JSON
// is longer than maxField: the size is known once it is written, so the
// common small map is encoded once and only measured.
func (enc *encoder) capped(m map[string]any) bool {
	start := len(enc.b)
	if !enc.object(m) {
		return false
	}
	if enc.maxField > 0 && len(enc.b)-start > enc.maxField {
		marker := appendOmitted(nil, enc.b[start:])
		enc.b = append(enc.b[:start], marker...)
		enc.omitted++
	}
	return true
}

func (enc *encoder) event(e *Event) bool {
	b := enc.b
	b = appendField(b, `{"eventVersion":`, e.EventVersion)
	b = append(b, `,"userIdentity":`...)
	b = appendUserIdentity(b, &e.UserIdentity)
	b = appendField(b, `,"eventTime":`, e.EventTime)
	b = appendField(b, `,"eventSource":`, e.EventSource)
	b = appendField(b, `,"eventName":`, e.EventName)
	b = appendField(b, `,"awsRegion":`, e.AWSRegion)
	b = appendField(b, `,"sourceIPAddress":`, e.SourceIPAddress)
	b = appendField(b, `,"userAgent":`, e.UserAgent)
	b = appendOmitEmpty(b, `,"errorCode":`, e.ErrorCode)
	b = appendOmitEmpty(b, `,"errorMessage":`, e.ErrorMessage)
	enc.b = append(b, `,"requestParameters":`...)
	if !enc.capped(e.RequestParameters) {
		return false
	}
	enc.b = append(enc.b, `,"responseElements":`...)
	if !enc.capped(e.ResponseElements) {
		return false
	}
	b = appendField(enc.b, `,"requestID":`, e.RequestID)
	b = appendField(b, `,"eventID":`, e.EventID)
	b = append(b, `,"readOnly":`...)
	b = strconv.AppendBool(b, e.ReadOnly)
	if len(e.Resources) > 0 {
		b = append(b, `,"resources":[`...)
		for i := range e.Resources {
			if i > 0 {
				b = append(b, ',')
			}
			r := &e.Resources[i]
			b = appendField(b, `{"ARN":`, r.ARN)
			b = appendOmitEmpty(b, `,"accountId":`, r.AccountID)
			b = appendField(b, `,"type":`, r.Type)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendField(b, `,"eventType":`, e.EventType)
	b = append(b, `,"managementEvent":`...)
	b = strconv.AppendBool(b, e.ManagementEvent)
	b = appendOmitEmpty(b, `,"recipientAccountId":`, e.RecipientAccountID)
	b = appendField(b, `,"eventCategory":`, e.EventCategory)
	if t := e.TLSDetails; t != nil {
		b = appendField(b, `,"tlsDetails":{"tlsVersion":`, t.TLSVersion)
		b = appendField(b, `,"cipherSuite":`, t.CipherSuite)
		b = appendOmitEmpty(b, `,"clientProvidedHostHeader":`, t.ClientProvidedHostHeader)
		b = append(b, '}')
	}
	b = appendOmitEmpty(b, `,"sessionCredentialFromConsole":`, e.SessionCredentialFromConsole)
	if a := e.AdditionalEventData; a != nil {
		if a.AggregatedFailures != nil || a.TrailPruned != nil {
			return false // Brevet's own rare events: json.Marshal's
		}
		b = append(b, `,"additionalEventData":{`...)
		open := len(b)
		b = appendMember(b, open, `"SignatureVersion":`, a.SignatureVersion)
		b = appendMember(b, open, `"CipherSuite":`, a.CipherSuite)
		if a.BytesTransferredIn != nil {
			b = strconv.AppendInt(appendComma(b, open, `"bytesTransferredIn":`), *a.BytesTransferredIn, 10)
		}
		b = appendMember(b, open, `"AuthenticationMethod":`, a.AuthenticationMethod)
		b = appendMember(b, open, `"x-amz-id-2":`, a.XAmzID2)
		if a.BytesTransferredOut != nil {
			b = strconv.AppendInt(appendComma(b, open, `"bytesTransferredOut":`), *a.BytesTransferredOut, 10)
		}
		b = appendMember(b, open, `"CheckProtocol":`, a.CheckProtocol)
		b = appendMember(b, open, `"MFAUsed":`, a.MFAUsed)
		if a.RefusedParts > 0 {
			b = strconv.AppendInt(appendComma(b, open, `"refusedParts":`), int64(a.RefusedParts), 10)
		}
		if c := a.IssuedCredential; c != nil {
			b = appendField(appendComma(b, open, ""), `"issuedCredential":{"kind":`, c.Kind)
			b = appendField(b, `,"accessKeyId":`, c.AccessKeyID)
			b = appendField(b, `,"accountId":`, c.AccountID)
			b = appendField(b, `,"principalArn":`, c.PrincipalARN)
			b = appendOmitEmpty(b, `,"sessionArn":`, c.SessionARN)
			b = appendOmitEmpty(b, `,"sessionName":`, c.SessionName)
			b = appendOmitEmpty(b, `,"parentAccessKeyId":`, c.ParentAccessKeyID)
			b = appendOmitEmpty(b, `,"rootAccessKeyId":`, c.RootAccessKeyID)
			b = appendField(b, `,"issuedAt":`, c.IssuedAt)
			b = appendField(b, `,"expiration":`, c.Expiration)
			b = append(b, '}')
		}
		if u := a.Upstream; u != nil {
			b = appendField(appendComma(b, open, ""), `"upstream":{"accountId":`, u.AccountID)
			b = appendField(b, `,"action":`, u.Action)
			b = appendOmitEmpty(b, `,"requestId":`, u.RequestID)
			b = appendOmitEmpty(b, `,"roleArn":`, u.RoleARN)
			b = appendOmitEmpty(b, `,"sessionArn":`, u.SessionARN)
			b = appendOmitEmpty(b, `,"sourceIdentity":`, u.SourceIdentity)
			b = appendOmitEmpty(b, `,"accessKeyId":`, u.AccessKeyID)
			b = appendOmitEmpty(b, `,"expiration":`, u.Expiration)
			if u.Cached {
				b = append(b, `,"cached":true`...)
			}
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	enc.b = append(b, '}')
	return true
}

func appendUserIdentity(b []byte, u *UserIdentity) []byte {
	b = appendField(b, `{"type":`, u.Type)
	b = appendOmitEmpty(b, `,"principalId":`, u.PrincipalID)
	b = appendOmitEmpty(b, `,"arn":`, u.ARN)
	b = appendOmitEmpty(b, `,"accountId":`, u.AccountID)
	b = appendOmitEmpty(b, `,"accessKeyId":`, u.AccessKeyID)
	b = appendOmitEmpty(b, `,"userName":`, u.UserName)
	b = appendOmitEmpty(b, `,"identityProvider":`, u.IdentityProvider)
	if sc := u.SessionContext; sc != nil {
		b = append(b, `,"sessionContext":{`...)
		if si := sc.SessionIssuer; si != nil {
			b = appendField(b, `"sessionIssuer":{"type":`, si.Type)
			b = appendField(b, `,"principalId":`, si.PrincipalID)
			b = appendField(b, `,"arn":`, si.ARN)
			b = appendField(b, `,"accountId":`, si.AccountID)
			b = appendField(b, `,"userName":`, si.UserName)
			b = append(b, "},"...)
		}
		b = appendField(b, `"attributes":{"creationDate":`, sc.Attributes.CreationDate)
		b = appendField(b, `,"mfaAuthenticated":`, sc.Attributes.MFAAuthenticated)
		b = append(b, '}')
		b = appendOmitEmpty(b, `,"sourceIdentity":`, sc.SourceIdentity)
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendComma appends a comma unless b has nothing after open (the
// offset just past an object's '{'), then name.
func appendComma(b []byte, open int, name string) []byte {
	if len(b) > open {
		b = append(b, ',')
	}
	return append(b, name...)
}

// appendMember appends an omitempty string member of an object opened at
// open (see appendComma).
func appendMember(b []byte, open int, name, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(appendComma(b, open, name), s)
}

// appendField appends prefix (punctuation and a field's name) and s.
func appendField(b []byte, prefix, s string) []byte {
	return appendString(append(b, prefix...), s)
}

// appendOmitEmpty is appendField for an omitempty field.
func appendOmitEmpty(b []byte, prefix, s string) []byte {
	if s == "" {
		return b
	}
	return appendField(b, prefix, s)
}

// object appends m; with redaction, each key's value as Redact would
// leave it.
func (enc *encoder) object(m map[string]any) bool {
	if m == nil {
		enc.b = append(enc.b, "null"...)
		return true
	}
	if enc.depth++; enc.depth > maxDepth {
		return false
	}
	var arr [16]member
	ms := arr[:0]
	for k, v := range m {
		ms = append(ms, member{k, v})
	}
	slices.SortFunc(ms, func(a, b member) int { return strings.Compare(a.k, b.k) }) // byte-wise, as encoding/json sorts
	enc.b = append(enc.b, '{')
	for i, kv := range ms {
		if i > 0 {
			enc.b = append(enc.b, ',')
		}
		k, v := kv.k, kv.v
		enc.b = append(appendString(enc.b, k), ':')
		if enc.redact {
			switch classify(k) {
			case keySecret:
				v = hidden(v)
			case keyAssertion:
				v = hashed(v)
			}
		}
		if !enc.value(v) {
			return false
		}
	}
	enc.b = append(enc.b, '}')
	enc.depth--
	return true
}

type member struct {
	k string
	v any
}

func (enc *encoder) array(l []any) bool {
	if l == nil && !enc.redact { // Redact turns a nil []any into an empty one
		enc.b = append(enc.b, "null"...)
		return true
	}
	if enc.depth++; enc.depth > maxDepth {
		return false
	}
	enc.b = append(enc.b, '[')
	for i, v := range l {
		if i > 0 {
			enc.b = append(enc.b, ',')
		}
		if !enc.value(v) {
			return false
		}
	}
	enc.b = append(enc.b, ']')
	enc.depth--
	return true
}

// value appends one value of a parameter or response element: the types
// awsquery puts there (string, bool, int64, float64, map[string]any,
// []any), those of decoded JSON, and the other unnamed numbers. Anything
// else is json.Marshal's.
func (enc *encoder) value(v any) bool {
	switch v := v.(type) {
	case nil:
		enc.b = append(enc.b, "null"...)
	case string:
		enc.b = appendString(enc.b, v)
	case bool:
		enc.b = strconv.AppendBool(enc.b, v)
	case int64:
		enc.b = strconv.AppendInt(enc.b, v, 10)
	case int:
		enc.b = strconv.AppendInt(enc.b, int64(v), 10)
	case int32:
		enc.b = strconv.AppendInt(enc.b, int64(v), 10)
	case int16:
		enc.b = strconv.AppendInt(enc.b, int64(v), 10)
	case int8:
		enc.b = strconv.AppendInt(enc.b, int64(v), 10)
	case uint64:
		enc.b = strconv.AppendUint(enc.b, v, 10)
	case uint:
		enc.b = strconv.AppendUint(enc.b, uint64(v), 10)
	case uint32:
		enc.b = strconv.AppendUint(enc.b, uint64(v), 10)
	case uint16:
		enc.b = strconv.AppendUint(enc.b, uint64(v), 10)
	case uint8:
		enc.b = strconv.AppendUint(enc.b, uint64(v), 10)
	case float64:
		return enc.float(v, 64)
	case float32:
		return enc.float(float64(v), 32)
	case map[string]any:
		return enc.object(v)
	case []any:
		return enc.array(v)
	default:
		j, err := json.Marshal(v)
		if err != nil {
			return false
		}
		enc.b = append(enc.b, j...)
	}
	return true
}

// float appends f as encoding/json's floatEncoder does: like ES6's number
// to string conversion, exponent form below 1e-6 and from 1e21, the
// exponent not padded. bits is the size of the Go value (32 or 64).
func (enc *encoder) float(f float64, bits int) bool {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return false // json.Marshal fails: let it say so
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b := strconv.AppendFloat(enc.b, f, format, -1, bits)
	if format == 'e' {
		// e-09 → e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	enc.b = b
	return true
}

const hexDigits = "0123456789abcdef"

// htmlSafe reports the ASCII bytes encoding/json writes as they are with
// HTML escaping on (json.Marshal's): all but control characters, '"',
// '\\', '<', '>' and '&'. DEL is written as it is.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// appendString appends s quoted as encoding/json quotes strings with HTML
// escaping on: \b \f \n \r \t, other control characters, '<', '>' and '&'
// as \u00XX, U+2028 and U+2029 as \u2028 and \u2029, and each byte of
// invalid UTF-8 as \ufffd.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if htmlSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
