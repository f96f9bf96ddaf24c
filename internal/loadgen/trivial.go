package loadgen

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// TrivialHandler answers every request with a fixed, well-formed STS
// response and does no other work: no signature check, no parsing
// beyond spotting AssumeRole. Served by a plain net/http server in a
// process of its own, it is the practical ceiling of the machine for
// this generator, the figure Brevet's throughput is divided by.
//
// It reads the whole body (as any server must to keep the connection
// alive) and answers AssumeRole with a response of the size Brevet's
// has (a session token included), so that the generator reads the same
// bytes from both targets. For brevet bench x509 it also answers Roles
// Anywhere's CreateSession (POST /sessions, 201) and the IoT credentials
// provider's GET /role-aliases/ALIAS/credentials with fixed JSON of the
// same kind, without looking at the signature or the certificate; for
// the SSO workloads, the portal's GET /federation/credentials, and SSO
// OIDC's POST /token with the refresh token it was sent (trivialToken);
// for the identity pool workloads, GetId and GetCredentialsForIdentity
// (poolTrivial).
func TrivialHandler() http.Handler {
	t := newTrivial()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t.respondCertificate(w, r) || poolTrivial(w, r) {
			return
		}
		if resp, ok := t.sso(r); ok {
			writeJSON(w, http.StatusOK, resp)
			return
		}
		t.respond(w, t.read(r))
	})
}

// respondCertificate answers the requests of brevet bench x509's
// certificate workloads, and reports whether r was one.
func (t *trivial) respondCertificate(w http.ResponseWriter, r *http.Request) bool {
	var resp []byte
	status := http.StatusOK
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/sessions":
		resp, status = t.session, http.StatusCreated
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/role-aliases/") && strings.HasSuffix(r.URL.Path, "/credentials"):
		resp = t.iot
	default:
		return false
	}
	_, _ = io.Copy(io.Discard, r.Body)
	writeJSON(w, status, resp)
	return true
}

// sso is the response to the SSO workloads' requests (the portal's
// GetRoleCredentials, SSO OIDC's CreateToken), read whole; false for
// other requests, whose body it leaves alone.
func (t *trivial) sso(r *http.Request) ([]byte, bool) {
	var resp []byte
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/federation/credentials":
		resp = t.roleCreds
	case r.Method == http.MethodPost && r.URL.Path == "/token":
		resp = trivialToken(r)
	default:
		return nil, false
	}
	_, _ = io.Copy(io.Discard, r.Body)
	return resp, true
}

func writeJSON(w http.ResponseWriter, status int, resp []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(resp))}
	w.WriteHeader(status)
	_, _ = w.Write(resp)
}

// trivial is the trivial handler's fixed responses.
type trivial struct {
	gci, ar          []byte
	session, iot     []byte
	roleCreds        []byte
	gciLen, arLen    string
	assumeRolePrefix []byte
}

func newTrivial() *trivial {
	t := &trivial{gci: []byte(trivialGetCallerIdentity), ar: []byte(trivialAssumeRole), assumeRolePrefix: []byte("Action=AssumeRole&"),
		session: []byte(trivialCreateSession), iot: []byte(trivialIoTCredentials),
		roleCreds: []byte(trivialRoleCredentials)}
	t.gciLen, t.arLen = strconv.Itoa(len(t.gci)), strconv.Itoa(len(t.ar))
	return t
}

// read reads the whole body and says whether it is an AssumeRole.
func (t *trivial) read(r *http.Request) (assumeRole bool) {
	var buf [512]byte
	n, _ := io.ReadFull(r.Body, buf[:])
	_, _ = io.Copy(io.Discard, r.Body)
	return bytes.HasPrefix(buf[:n], t.assumeRolePrefix)
}

// respond writes the fixed response.
func (t *trivial) respond(w http.ResponseWriter, assumeRole bool) {
	resp, length := t.gci, t.gciLen
	if assumeRole {
		resp, length = t.ar, t.arLen
	}
	h := w.Header()
	h["Content-Type"] = []string{"text/xml"}
	h["Content-Length"] = []string{length}
	_, _ = w.Write(resp)
}

const trivialGetCallerIdentity = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/admin</Arn>
    <UserId>AIDAEXAMPLEEXAMPLE123</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>
`

// trivialAssumeRole carries a 600-character session token, of the order
// of a sealed Brevet token (docs/credentials.md describes what it holds).
var trivialAssumeRole = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/bench/bench-0-0</Arn>
      <AssumedRoleId>AROAEXAMPLEEXAMPLE123:bench-0-0</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLEEXAMPLE12</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY</SecretAccessKey>
      <SessionToken>` + string(bytes.Repeat([]byte("A"), 600)) + `</SessionToken>
      <Expiration>2026-01-01T00:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>
`

// trivialCreateSession is Roles Anywhere's CreateSession response, with
// a session token of trivialAssumeRole's size.
var trivialCreateSession = `{"credentialSet":[{"assumedRoleUser":{"arn":"arn:aws:sts::123456789012:assumed-role/bench/0123456789abcdef0123456789abcdef",` +
	`"assumedRoleId":"AROAEXAMPLEEXAMPLE123:0123456789abcdef0123456789abcdef"},"credentials":{"accessKeyId":"ASIAEXAMPLEEXAMPLE12",` +
	`"expiration":"2026-01-01T00:00:00Z","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","sessionToken":"` +
	string(bytes.Repeat([]byte("A"), 600)) + `"},"packedPolicySize":0,"roleArn":"arn:aws:iam::123456789012:role/bench",` +
	`"sourceIdentity":"CN=bench"}],"subjectArn":"arn:aws:rolesanywhere:us-east-1:123456789012:subject/0123456789abcdef"}`

// trivialIoTCredentials is the IoT credentials provider's response, with
// a session token of trivialAssumeRole's size.
var trivialIoTCredentials = `{"credentials":{"accessKeyId":"ASIAEXAMPLEEXAMPLE12","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",` +
	`"sessionToken":"` + string(bytes.Repeat([]byte("A"), 600)) + `","expiration":"2026-01-01T00:00:00Z"}}`

// trivialRoleCredentials is the SSO portal's GetRoleCredentials response,
// with a session token of trivialAssumeRole's size.
var trivialRoleCredentials = `{"roleCredentials":{"accessKeyId":"ASIAEXAMPLEEXAMPLE12","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",` +
	`"sessionToken":"` + string(bytes.Repeat([]byte("A"), 600)) + `","expiration":1767225600000}}`

// trivialToken answers SSO OIDC's CreateToken with tokens of the sizes
// Brevet's have, the refresh token being the one the request sent: the
// refresh workload's sessions then go on with their own tokens when
// their next phase is against Brevet.
func trivialToken(r *http.Request) []byte {
	var in struct{ RefreshToken string }
	_ = json.NewDecoder(io.LimitReader(r.Body, 16<<10)).Decode(&in)
	out, _ := json.Marshal(map[string]any{"accessToken": strings.Repeat("A", 400), "tokenType": "Bearer", "expiresIn": 3600,
		"refreshToken": in.RefreshToken})
	return out
}
