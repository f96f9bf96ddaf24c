package sigv4

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The signing algorithms this package knows.
const (
	// AlgorithmHMAC is SigV4: HMAC-SHA256 with a key derived per day,
	// region and service.
	AlgorithmHMAC = "AWS4-HMAC-SHA256"
	// AlgorithmECDSA is SigV4a: ECDSA P-256 with a key derived from the
	// secret, valid for a set of regions.
	AlgorithmECDSA = "AWS4-ECDSA-P256-SHA256"
	// AlgorithmX509RSA is SigV4-X509 with an RSA key: the request is
	// signed (RSA PKCS #1 v1.5, SHA-256) with the private key of the
	// certificate in X-Amz-X509, as IAM Roles Anywhere's CreateSession
	// is. Verified by VerifyX509, never by Verify.
	AlgorithmX509RSA = "AWS4-X509-RSA-SHA256"
	// AlgorithmX509ECDSA is SigV4-X509 with an ECDSA key (ASN.1
	// signature over SHA-256).
	AlgorithmX509ECDSA = "AWS4-X509-ECDSA-SHA256"
)

// isX509 reports whether alg is one of the SigV4-X509 algorithms.
func isX509(alg string) bool { return alg == AlgorithmX509RSA || alg == AlgorithmX509ECDSA }

const (
	terminator = "aws4_request"
	// amzDateLayout is the ISO 8601 basic format of X-Amz-Date.
	amzDateLayout = "20060102T150405Z"
	// MaxPresignExpiry is the longest X-Amz-Expires AWS allows: 7 days.
	MaxPresignExpiry = 7 * 24 * time.Hour
)

// Auth is the authentication a request carries, as Parse found it. The
// caller looks up the secret for AccessKeyID (and checks SecurityToken)
// between Parse and Verify. Its strings share memory with the request.
type Auth struct {
	// Algorithm is AlgorithmHMAC, AlgorithmECDSA, or (Authorization
	// header only) AlgorithmX509RSA or AlgorithmX509ECDSA.
	Algorithm string
	// Presigned is true for query-string (presigned URL) authentication.
	Presigned bool
	// AccessKeyID is the key id from the credential; "" for the
	// SigV4-X509 algorithms, whose credential names a certificate.
	AccessKeyID string
	// Serial is, for the SigV4-X509 algorithms only, the credential's
	// first element: the signing certificate's serial number in decimal.
	// VerifyX509 checks it against the certificate.
	Serial string
	// X509 is the X-Amz-X509 header, the signing certificate as base64
	// DER (SigV4-X509 only; Parse requires it).
	X509 string
	// X509Chain is the X-Amz-X509-Chain header, the intermediates as
	// comma-separated base64 DER; "" when absent (SigV4-X509 only).
	X509Chain string
	// Scope is the credential scope: "date/region/service/aws4_request"
	// for SigV4 and SigV4-X509, "date/service/aws4_request" for SigV4a.
	Scope string
	// Date is the scope's date, YYYYMMDD.
	Date string
	// Region is the scope's region (SigV4 and SigV4-X509).
	Region string
	// Service is the scope's service, e.g. "sts".
	Service string
	// RegionSet is X-Amz-Region-Set, comma-separated (SigV4a only).
	RegionSet string
	// SignedHeaders is the ';'-separated list of signed header names.
	SignedHeaders string
	// Signature is the signature as sent, in hex.
	Signature string
	// AmzDate is the request time as signed, in ISO 8601 basic format.
	AmzDate string
	// Time is AmzDate parsed.
	Time time.Time
	// Expires is X-Amz-Expires (presigned only).
	Expires time.Duration
	// SecurityToken is X-Amz-Security-Token, header or query, signed or
	// not; "" when absent. The caller validates it.
	SecurityToken string

	sig        [32]byte // the decoded SigV4 signature
	terminator string   // the credential's last element, checked by Verify
}

// Parse extracts the authentication of a request, from the Authorization
// header or from a presigned query. It checks the syntax only: the scope
// against the server, the clock and the signature are Verify's. An
// unsigned request gets KindMissingAuthenticationToken.
//
// Parse is small enough to be inlined, so a caller that keeps the Auth to
// itself has it on its stack rather than the heap.
func Parse(req *Request) (*Auth, error) {
	a := new(Auth)
	if err := a.parse(req); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Auth) parse(req *Request) error {
	authz := headerValues(req.Header, "Authorization")
	presigned := req.RawQuery != "" && hasAuthQuery(req.RawQuery)
	switch {
	case len(authz) > 0 && presigned:
		return &Error{Kind: KindIncompleteSignature, Message: msgTwoMechanisms}
	case len(authz) > 1:
		return errorf(KindIncompleteSignature, "Authorization header must be specified only once")
	case len(authz) == 1:
		return a.parseHeader(req, authz[0])
	case presigned:
		a.Presigned = true
		return a.parseQuery(req)
	}
	return &Error{Kind: KindMissingAuthenticationToken, Message: msgMissingAuthenticationToken}
}

// hasAuthQuery reports whether the query carries any presign parameter.
func hasAuthQuery(raw string) bool {
	if !strings.Contains(raw, "X-Amz-") && !strings.Contains(raw, "%") {
		return false
	}
	for rest := raw; rest != ""; {
		pair := rest
		if i := strings.IndexByte(rest, '&'); i >= 0 {
			pair, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		k, _, _ := strings.Cut(pair, "=")
		if isParam(k, "X-Amz-Algorithm") || isParam(k, "X-Amz-Credential") || isParam(k, "X-Amz-Signature") {
			return true
		}
	}
	return false
}

// The parameters of an Authorization header, in the order AWS names the
// missing ones.
var authzParams = [...]string{"Credential", "Signature", "SignedHeaders"}

// splitAuthorization splits "ALG Credential=..., SignedHeaders=..., Signature=..."
// into the algorithm and the values of authzParams, with have[i] telling
// which were present. Parameters it does not know are ignored: they sign
// nothing.
func splitAuthorization(v string) (alg string, vals [3]string, have [3]bool, err error) {
	alg, rest, _ := strings.Cut(v, " ")
	if alg != AlgorithmHMAC && alg != AlgorithmECDSA && !isX509(alg) {
		return "", vals, have, errorf(KindIncompleteSignature, "Unsupported AWS 'algorithm': '%s'", alg)
	}
	for rest != "" {
		part := rest
		if i := strings.IndexByte(rest, ','); i >= 0 {
			part, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		part = strings.Trim(part, " \t")
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return "", vals, have, errorf(KindIncompleteSignature,
				"'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", part, v)
		}
		for i, name := range authzParams {
			if k != name {
				continue
			}
			if have[i] {
				return "", vals, have, errorf(KindIncompleteSignature,
					"Authorization header has more than one '%s' parameter. Authorization=%s", k, v)
			}
			vals[i], have[i] = val, true
		}
	}
	return alg, vals, have, nil
}

func (a *Auth) parseHeader(req *Request, v string) error {
	alg, vals, have, err := splitAuthorization(v)
	if err != nil {
		return err
	}
	a.Algorithm = alg
	cred, sig, signed := vals[0], vals[1], vals[2]
	date, dateFromHeader := header(req.Header, "X-Amz-Date"), false
	if date == "" {
		date, dateFromHeader = header(req.Header, "Date"), true
	}
	if !have[0] || !have[1] || !have[2] || date == "" {
		var b strings.Builder
		for i, name := range authzParams {
			if !have[i] {
				b.WriteString("Authorization header requires '" + name + "' parameter. ")
			}
		}
		if date == "" {
			b.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
		}
		b.WriteString("Authorization=" + v)
		return &Error{Kind: KindIncompleteSignature, Message: b.String()}
	}
	if err := a.parseDate(date, dateFromHeader); err != nil {
		return err
	}
	if err := a.parseCredential(cred); err != nil {
		return err
	}
	if err := a.parseSignedHeaders(signed); err != nil {
		return err
	}
	if err := a.parseSignature(sig); err != nil {
		return err
	}
	tok := headerValues(req.Header, "X-Amz-Security-Token")
	if len(tok) > 1 {
		return errorf(KindIncompleteSignature, "X-Amz-Security-Token must be specified only once")
	}
	if len(tok) == 1 {
		a.SecurityToken = tok[0]
	}
	if a.Algorithm == AlgorithmECDSA {
		a.RegionSet = header(req.Header, "X-Amz-Region-Set")
	}
	if isX509(a.Algorithm) {
		return a.parseX509Headers(req)
	}
	return nil
}

// parseX509Headers takes the certificate headers of a SigV4-X509
// request: X-Amz-X509 once (required), X-Amz-X509-Chain at most once.
// Their content is the caller's to decode and verify.
func (a *Auth) parseX509Headers(req *Request) error {
	leaf := headerValues(req.Header, "X-Amz-X509")
	if len(leaf) != 1 || leaf[0] == "" {
		return errorf(KindIncompleteSignature, "%s requires exactly one X-Amz-X509 header", a.Algorithm)
	}
	chain := headerValues(req.Header, "X-Amz-X509-Chain")
	if len(chain) > 1 {
		return errorf(KindIncompleteSignature, "X-Amz-X509-Chain must be specified only once")
	}
	a.X509 = leaf[0]
	if len(chain) == 1 {
		a.X509Chain = chain[0]
	}
	return nil
}

// The presign parameters, in the order AWS lists missing ones.
var presignParams = [...]string{
	"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders",
	"X-Amz-Date", "X-Amz-Expires", "X-Amz-Security-Token", "X-Amz-Region-Set",
}

const (
	pAlgorithm = iota
	pCredential
	pSignature
	pSignedHeaders
	pDate
	pExpires
	pToken
	pRegionSet
	nRequired = pToken // the parameters before this one are required
)

func (a *Auth) parseQuery(req *Request) error {
	var vals [len(presignParams)]string
	var have [len(presignParams)]bool
	for rest := req.RawQuery; rest != ""; {
		pair := rest
		if i := strings.IndexByte(rest, '&'); i >= 0 {
			pair, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		k, v, _ := strings.Cut(pair, "=")
		for i, name := range presignParams {
			if isParam(k, name) {
				if have[i] {
					return errorf(KindIncompleteSignature,
						"AWS query-string parameters must include '%s' only once. Re-examine the query-string parameters.", name)
				}
				have[i], vals[i] = true, unescape(v)
				break
			}
		}
	}
	var missing []string
	for i := 0; i < nRequired; i++ {
		if !have[i] {
			missing = append(missing, "AWS query-string parameters must include '"+presignParams[i]+
				"'. Re-examine the query-string parameters.")
		}
	}
	if len(missing) > 0 {
		return &Error{Kind: KindIncompleteSignature, Message: strings.Join(missing, " ")}
	}
	alg := vals[pAlgorithm]
	if alg != AlgorithmHMAC && alg != AlgorithmECDSA {
		return errorf(KindIncompleteSignature, "Unsupported AWS 'algorithm': '%s'", alg)
	}
	a.Algorithm = alg
	if err := a.parseDate(vals[pDate], false); err != nil {
		return err
	}
	if err := a.parseExpires(vals[pExpires]); err != nil {
		return err
	}
	if err := a.parseCredential(vals[pCredential]); err != nil {
		return err
	}
	if err := a.parseSignedHeaders(vals[pSignedHeaders]); err != nil {
		return err
	}
	if err := a.parseSignature(vals[pSignature]); err != nil {
		return err
	}
	a.SecurityToken = vals[pToken]
	if !have[pToken] {
		a.SecurityToken = header(req.Header, "X-Amz-Security-Token")
	}
	if a.Algorithm == AlgorithmECDSA {
		a.RegionSet = vals[pRegionSet]
	}
	return nil
}

func (a *Auth) parseExpires(s string) error {
	if strings.HasPrefix(s, "-") {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return errorf(KindIncompleteSignature, "X-Amz-Expires must be non-negative")
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || s == "" || s[0] == '+' {
		if e, ok := err.(*strconv.NumError); ok && e.Err == strconv.ErrRange {
			n, err = MaxPresignExpiryS+1, nil
		} else {
			return errorf(KindIncompleteSignature, "X-Amz-Expires should be a number")
		}
	}
	if n > MaxPresignExpiryS {
		return errorf(KindIncompleteSignature, "X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	a.Expires = time.Duration(n) * time.Second
	return nil
}

// MaxPresignExpiryS is MaxPresignExpiry in seconds.
const MaxPresignExpiryS = uint64(MaxPresignExpiry / time.Second)

// parseDate parses X-Amz-Date (ISO 8601 basic) or, failing that, the Date
// header (RFC 1123), which botocore signs with when a request has one.
func (a *Auth) parseDate(s string, httpDate bool) error {
	if httpDate {
		t, err := http.ParseTime(s)
		if err != nil {
			return errorf(KindIncompleteSignature,
				"Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", s)
		}
		a.Time, a.AmzDate = t.UTC(), t.UTC().Format(amzDateLayout)
		return nil
	}
	t, ok := parseAmzDate(s)
	if !ok {
		return errorf(KindIncompleteSignature,
			"Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", s)
	}
	a.Time, a.AmzDate = t, s
	return nil
}

// parseAmzDate parses "20060102T150405Z" without allocating.
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != 16 || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	num := func(s string) (int, bool) {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
			n = n*10 + int(s[i]-'0')
		}
		return n, true
	}
	y, ok1 := num(s[0:4])
	mo, ok2 := num(s[4:6])
	d, ok3 := num(s[6:8])
	h, ok4 := num(s[9:11])
	mi, ok5 := num(s[11:13])
	sec, ok6 := num(s[13:15])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 ||
		mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	if t.Day() != d { // 31 February and the like
		return time.Time{}, false
	}
	return t, true
}

// parseCredential splits "AKID/date/region/service/aws4_request" (SigV4),
// "AKID/date/service/aws4_request" (SigV4a) or
// "SERIAL/date/region/service/aws4_request" (SigV4-X509) and checks its
// shape. Its
// elements are checked by Verify, which reports every one that is wrong
// at once, as AWS does.
func (a *Auth) parseCredential(cred string) error {
	want := 5
	if a.Algorithm == AlgorithmECDSA {
		want = 4
	}
	n := strings.Count(cred, "/") + 1
	if n != want {
		if want == 5 {
			return errorf(KindIncompleteSignature,
				"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", cred)
		}
		return errorf(KindIncompleteSignature,
			"Credential must have exactly 4 slash-delimited elements, e.g. keyid/date/service/term, got '%s'", cred)
	}
	var parts [5]string
	rest := cred
	for i := 0; i < n-1; i++ {
		j := strings.IndexByte(rest, '/')
		parts[i], rest = rest[:j], rest[j+1:]
	}
	parts[n-1] = rest
	for _, p := range parts[:n] {
		if p == "" {
			return errorf(KindIncompleteSignature, "Credential has an empty element, got '%s'", cred)
		}
	}
	if isX509(a.Algorithm) {
		for i := 0; i < len(parts[0]); i++ {
			if c := parts[0][i]; c < '0' || c > '9' {
				return errorf(KindIncompleteSignature,
					"Credential must start with the certificate's serial number in decimal, got '%s'", cred)
			}
		}
		a.Serial = parts[0]
	} else {
		a.AccessKeyID = parts[0]
	}
	a.Date = parts[1]
	a.Scope = cred[len(parts[0])+1:]
	if want == 5 {
		a.Region, a.Service = parts[2], parts[3]
	} else {
		a.Service = parts[2]
	}
	a.terminator = parts[n-1]
	return nil
}

func (a *Auth) parseSignedHeaders(s string) error {
	if s == "" {
		return errorf(KindIncompleteSignature, "SignedHeaders must not be empty")
	}
	host := false
	for rest := s; ; {
		name := rest
		i := strings.IndexByte(rest, ';')
		if i >= 0 {
			name, rest = rest[:i], rest[i+1:]
		}
		if name == "" {
			return errorf(KindIncompleteSignature, "SignedHeaders has an empty header name: '%s'", s)
		}
		if strings.EqualFold(name, "host") {
			host = true
		}
		if i < 0 {
			break
		}
	}
	if !host {
		return &Error{Kind: KindIncompleteSignature, Message: msgHostNotSigned}
	}
	a.SignedHeaders = s
	return nil
}

// parseSignature checks the signature's form. A signature that cannot be
// right is reported as not matching, as AWS does, without computing one.
func (a *Auth) parseSignature(s string) error {
	a.Signature = s
	if a.Algorithm == AlgorithmHMAC {
		if len(s) != 64 {
			return errSignatureDoesNotMatch()
		}
		for i := range a.sig {
			hi, ok1 := unhex(s[2*i])
			lo, ok2 := unhex(s[2*i+1])
			if !ok1 || !ok2 {
				return errSignatureDoesNotMatch()
			}
			a.sig[i] = hi<<4 | lo
		}
		return nil
	}
	// SigV4a: a hex DER ECDSA signature, at most 72 bytes. SigV4-X509:
	// an RSA signature (at most 1024 bytes, RSA-8192) or a DER ECDSA one
	// (at most 139 bytes, P-521).
	maxLen := 72
	if isX509(a.Algorithm) {
		maxLen = maxX509Signature
	}
	if len(s) == 0 || len(s)%2 != 0 || len(s) > 2*maxLen {
		return errSignatureDoesNotMatch()
	}
	for i := 0; i < len(s); i++ {
		if _, ok := unhex(s[i]); !ok {
			return errSignatureDoesNotMatch()
		}
	}
	return nil
}
