package agent

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
)

// HostInfo is what enrollment said about this host.
type HostInfo struct {
	HostID             string    `json:"hostId"`
	AccountID          string    `json:"accountId"`
	Region             string    `json:"region"`
	InstanceProfileArn string    `json:"instanceProfileArn"`
	InstanceProfileID  string    `json:"instanceProfileId,omitempty"`
	RoleArn            string    `json:"roleArn"`
	Enrolled           time.Time `json:"enrolled"`
}

// roleName is the last path element of a role ARN
// (arn:aws:iam::123456789012:role/path/name → name).
func roleName(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// IMDSv2 header names and the longest token life, as EC2's instance
// metadata service has them.
const (
	HeaderToken    = "X-Aws-Ec2-Metadata-Token"
	HeaderTokenTTL = "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"
	maxTokenTTL    = 21600
)

// tokens issues and checks the IMDSv2 session tokens of this process.
// A token carries its expiry and a random nonce, authenticated with
// HMAC-SHA256 under a key made at start: nothing is kept per token, so a
// local flood of PUT /latest/api/token costs no memory and evicts no
// workload's token, a check is a constant-time MAC comparison, and a
// restart invalidates every token.
type tokens struct{ key [32]byte }

// tokenBytes is a token's length before base64: expiry (8), nonce (16)
// and MAC (32).
const tokenBytes = 8 + 16 + sha256.Size

func newTokens() *tokens {
	t := &tokens{}
	rand.Read(t.key[:])
	return t
}

func (t *tokens) issue(now time.Time, ttl time.Duration) string {
	var b [tokenBytes]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.Add(ttl).Unix()))
	rand.Read(b[8:24])
	t.mac(b[24:24], b[:24])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// mac appends the MAC of msg to dst.
func (t *tokens) mac(dst, msg []byte) []byte {
	m := hmac.New(sha256.New, t.key[:])
	m.Write(msg)
	return m.Sum(dst)
}

func (t *tokens) valid(tok string, now time.Time) bool {
	var b [tokenBytes]byte
	if base64.RawURLEncoding.EncodedLen(tokenBytes) != len(tok) {
		return false
	}
	if n, err := base64.RawURLEncoding.Decode(b[:], []byte(tok)); err != nil || n != tokenBytes {
		return false
	}
	var sum [sha256.Size]byte
	if !hmac.Equal(t.mac(sum[:0], b[:24]), b[24:]) {
		return false
	}
	return now.Unix() < int64(binary.BigEndian.Uint64(b[:8]))
}

// IMDS is an IMDSv2-only instance metadata server for one host role.
type IMDS struct {
	host    *Keeper
	info    HostInfo
	clock   clockwork.Clock
	metrics *Metrics
	tokens  *tokens
}

// NewIMDS returns the IMDS handler serving host's credentials.
func NewIMDS(host *Keeper, info HostInfo, clock clockwork.Clock, m *Metrics) *IMDS {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &IMDS{host: host, info: info, clock: clock, metrics: m, tokens: newTokens()}
}

// imdsCredentials is the JSON of /latest/meta-data/iam/security-credentials/ROLE.
type imdsCredentials struct {
	Code            string
	LastUpdated     string
	Type            string
	AccessKeyId     string
	SecretAccessKey string
	Token           string
	Expiration      string
}

// imdsTime formats t as IMDS does: RFC 3339 in UTC, whole seconds.
func imdsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func (s *IMDS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code := s.serve(w, r)
	s.metrics.requests.WithLabelValues("imds", strconv.Itoa(code)).Inc()
}

func (s *IMDS) serve(w http.ResponseWriter, r *http.Request) int {
	h := w.Header()
	h.Set("Server", "EC2ws")
	if _, ok := r.Header["X-Forwarded-For"]; ok {
		return fail(w, http.StatusForbidden)
	}
	now := s.clock.Now()
	if r.URL.Path == "/latest/api/token" {
		if r.Method != http.MethodPut {
			return fail(w, http.StatusMethodNotAllowed)
		}
		ttl, err := strconv.Atoi(r.Header.Get(HeaderTokenTTL))
		if err != nil || ttl < 1 || ttl > maxTokenTTL {
			return fail(w, http.StatusBadRequest)
		}
		tok := s.tokens.issue(now, time.Duration(ttl)*time.Second)
		h.Set(HeaderTokenTTL, strconv.Itoa(ttl))
		return text(w, tok)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return fail(w, http.StatusMethodNotAllowed)
	}
	if !s.tokens.valid(r.Header.Get(HeaderToken), now) {
		return fail(w, http.StatusUnauthorized)
	}
	return s.metadata(w, r.URL.Path, now)
}

func (s *IMDS) metadata(w http.ResponseWriter, path string, now time.Time) int {
	const creds = "/latest/meta-data/iam/security-credentials/"
	c, fetched, serving := s.host.Current(now)
	role := roleName(s.info.RoleArn)
	if c.RoleArn != "" {
		role = roleName(c.RoleArn)
	}
	switch {
	case path == creds || path == strings.TrimSuffix(creds, "/"):
		if !serving {
			return fail(w, http.StatusNotFound)
		}
		return text(w, role)
	case strings.HasPrefix(path, creds):
		if !serving || strings.TrimSuffix(path[len(creds):], "/") != role {
			return fail(w, http.StatusNotFound)
		}
		return jsonBody(w, imdsCredentials{Code: "Success", LastUpdated: imdsTime(fetched), Type: "AWS-HMAC",
			AccessKeyId: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Token: c.SessionToken, Expiration: imdsTime(c.Expiration)})
	case path == "/latest/meta-data/iam/info":
		if !serving {
			return fail(w, http.StatusNotFound)
		}
		return jsonBody(w, struct {
			Code, LastUpdated, InstanceProfileArn, InstanceProfileId string
		}{"Success", imdsTime(fetched), s.info.InstanceProfileArn, s.info.InstanceProfileID})
	case path == "/latest/meta-data/instance-id":
		return text(w, s.info.HostID)
	case path == "/latest/meta-data/placement/region":
		return text(w, s.info.Region)
	case path == "/latest/meta-data/placement/availability-zone":
		return text(w, s.info.Region+"a")
	case path == "/latest/dynamic/instance-identity/document":
		return jsonBody(w, s.identityDocument())
	case path == "/latest/meta-data" || path == "/latest/meta-data/":
		return text(w, "iam/\ninstance-id\nplacement/")
	}
	return fail(w, http.StatusNotFound)
}

// identityDocument is the instance identity document, unsigned: the
// fields EC2 has that Brevet knows, null or empty where it does not.
func (s *IMDS) identityDocument() map[string]any {
	return map[string]any{
		"accountId": s.info.AccountID, "architecture": nil, "availabilityZone": s.info.Region + "a",
		"billingProducts": nil, "devpayProductCodes": nil, "marketplaceProductCodes": nil,
		"imageId": nil, "instanceId": s.info.HostID, "instanceType": nil, "kernelId": nil,
		"pendingTime": imdsTime(s.info.Enrolled), "privateIp": nil, "ramdiskId": nil,
		"region": s.info.Region, "version": "2017-09-30",
	}
}

func fail(w http.ResponseWriter, code int) int {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(code)
	return code
}

func text(w http.ResponseWriter, s string) int {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(len(s)))
	w.Write([]byte(s))
	return http.StatusOK
}

func jsonBody(w http.ResponseWriter, v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fail(w, http.StatusInternalServerError)
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
	return http.StatusOK
}
