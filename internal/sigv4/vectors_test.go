package sigv4

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/vectortest"
	"github.com/google/go-cmp/cmp"
)

// vectorContext is an aws-c-auth context.json.
type vectorContext struct {
	Credentials struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
		Token           string `json:"token"`
	} `json:"credentials"`
	Expiration       int       `json:"expiration_in_seconds"`
	Normalize        bool      `json:"normalize"`
	Region           string    `json:"region"`
	Service          string    `json:"service"`
	SignBody         bool      `json:"sign_body"`
	Timestamp        time.Time `json:"timestamp"`
	OmitSessionToken bool      `json:"omit_session_token"`
}

// parseRawRequest parses an aws-c-auth request file by hand: the target
// may hold raw spaces and UTF-8, and headers may be obs-folded, neither
// of which net/http would accept. Host goes to Request.Host, as net/http
// does it.
func parseRawRequest(t testing.TB, data []byte) *Request {
	t.Helper()
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	head, body, _ := strings.Cut(text, "\n\n")
	lines := strings.Split(head, "\n")
	first := lines[0]
	sp1, sp2 := strings.IndexByte(first, ' '), strings.LastIndexByte(first, ' ')
	if sp1 < 0 || sp2 <= sp1 {
		t.Fatalf("bad request line %q", first)
	}
	req := &Request{Method: first[:sp1], Header: http.Header{}, Body: []byte(body)}
	req.Path, req.RawQuery, _ = strings.Cut(first[sp1+1:sp2], "?")
	var last string
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' { // obs-fold continuation
			vs := req.Header[last]
			vs[len(vs)-1] += " " + l
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("bad header line %q", l)
		}
		last = http.CanonicalHeaderKey(name)
		req.Header[last] = append(req.Header[last], value)
	}
	if h := req.Header["Host"]; len(h) > 0 {
		req.Host = strings.TrimSpace(h[0])
		delete(req.Header, "Host")
	}
	return req
}

func readVector(t testing.TB, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readContext(t testing.TB, dir string) vectorContext {
	t.Helper()
	var c vectorContext
	if err := json.Unmarshal([]byte(readVector(t, dir, "context.json")), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func vectorCases(t *testing.T, set string) (string, []string) {
	t.Helper()
	dir := vectortest.Dir(t, "sigv4-aws-c-auth/"+set)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return dir, names
}

func signOptionsFor(c vectorContext, alg string) SignOptions {
	return SignOptions{
		Algorithm:           alg,
		Region:              c.Region,
		Service:             c.Service,
		Time:                c.Timestamp,
		Expires:             time.Duration(c.Expiration) * time.Second,
		S3PathRules:         !c.Normalize,
		ContentSHA256Header: c.SignBody,
		TokenAfterSigning:   c.OmitSessionToken,
	}
}

func verifierFor(t testing.TB, c vectorContext) *Verifier {
	t.Helper()
	v, err := NewVerifier(Config{Regions: []string{c.Region}, Services: []string{c.Service}, S3PathRules: !c.Normalize})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// unsignedRequest reads request.txt as the vectors' signer saw it.
func unsignedRequest(t testing.TB, dir string) *Request {
	req := parseRawRequest(t, []byte(readVector(t, dir, "request.txt")))
	if len(req.Body) > 0 && req.Header.Get("Content-Length") == "" {
		req.Header.Set("Content-Length", strconv.Itoa(len(req.Body)))
	}
	return req
}

// verifyRaw parses and verifies a raw signed request.
func verifyRaw(t testing.TB, v *Verifier, raw []byte, secret string, now time.Time) error {
	req := parseRawRequest(t, raw)
	a, err := Parse(req)
	if err != nil {
		return err
	}
	return v.Verify(req, a, secret, now)
}

func TestAWSCAuthV4(t *testing.T) {
	dir, cases := vectorCases(t, "v4")
	if len(cases) != 38 {
		t.Errorf("got %d v4 cases, want 38", len(cases))
	}
	for _, name := range cases {
		for _, mode := range []string{"header", "query"} {
			t.Run(name+"/"+mode, func(t *testing.T) {
				d := filepath.Join(dir, name)
				c := readContext(t, d)
				s := &Signer{Credentials: Credentials{c.Credentials.AccessKeyID, c.Credentials.SecretAccessKey, c.Credentials.Token}}
				req := unsignedRequest(t, d)
				opts := signOptionsFor(c, AlgorithmHMAC)
				var got *signature
				var err error
				if mode == "header" {
					got, err = s.sign(req, opts)
				} else {
					got, err = s.presign(req, opts)
				}
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(readVector(t, d, mode+"-canonical-request.txt"), got.canonicalRequest); diff != "" {
					t.Errorf("canonical request (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(readVector(t, d, mode+"-string-to-sign.txt"), got.stringToSign); diff != "" {
					t.Errorf("string to sign (-want +got):\n%s", diff)
				}
				if want := strings.TrimSpace(readVector(t, d, mode+"-signature.txt")); got.signature != want {
					t.Errorf("signature: got %s, want %s", got.signature, want)
				}

				v := verifierFor(t, c)
				raw := []byte(readVector(t, d, mode+"-signed-request.txt"))
				if err := verifyRaw(t, v, raw, c.Credentials.SecretAccessKey, c.Timestamp); err != nil {
					t.Errorf("verify %s-signed-request.txt: %v", mode, err)
				}
				// Our own signed request verifies too.
				a, err := Parse(req)
				if err != nil {
					t.Fatalf("parse own signed request: %v", err)
				}
				if err := v.Verify(req, a, c.Credentials.SecretAccessKey, c.Timestamp); err != nil {
					t.Errorf("verify own signed request: %v", err)
				}
				// The wrong secret does not.
				err = verifyRaw(t, v, raw, c.Credentials.SecretAccessKey+"x", c.Timestamp)
				if !isKind(err, KindSignatureDoesNotMatch) {
					t.Errorf("wrong secret: got %v, want SignatureDoesNotMatch", err)
				}
			})
		}
	}
}

func isKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}

func TestAWSCAuthV4a(t *testing.T) {
	dir, cases := vectorCases(t, "v4a")
	ran := 0
	for _, name := range cases {
		d := filepath.Join(dir, name)
		if _, err := os.Stat(filepath.Join(d, "public-key.json")); err != nil {
			continue // a case without the signed files
		}
		ran++
		t.Run(name, func(t *testing.T) {
			c := readContext(t, d)
			priv, err := deriveECDSAKey(c.Credentials.AccessKeyID, c.Credentials.SecretAccessKey)
			if err != nil {
				t.Fatal(err)
			}
			var pk struct{ X, Y string }
			if err := json.Unmarshal([]byte(readVector(t, d, "public-key.json")), &pk); err != nil {
				t.Fatal(err)
			}
			pub := publicKeyFromHex(t, pk.X, pk.Y)
			if !pub.Equal(&priv.PublicKey) {
				t.Fatalf("derived public key differs from public-key.json")
			}
			for _, mode := range []string{"header", "query"} {
				s := &Signer{Credentials: Credentials{c.Credentials.AccessKeyID, c.Credentials.SecretAccessKey, c.Credentials.Token}}
				req := unsignedRequest(t, d)
				opts := signOptionsFor(c, AlgorithmECDSA)
				var got *signature
				if mode == "header" {
					got, err = s.sign(req, opts)
				} else {
					got, err = s.presign(req, opts)
				}
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(readVector(t, d, mode+"-canonical-request.txt"), got.canonicalRequest); diff != "" {
					t.Errorf("%s canonical request (-want +got):\n%s", mode, diff)
				}
				sts := readVector(t, d, mode+"-string-to-sign.txt")
				if diff := cmp.Diff(sts, got.stringToSign); diff != "" {
					t.Errorf("%s string to sign (-want +got):\n%s", mode, diff)
				}
				// The vector's own signature of its string to sign.
				der, err := hex.DecodeString(strings.TrimSpace(readVector(t, d, mode+"-signature.txt")))
				if err != nil {
					t.Fatal(err)
				}
				digest := sha256.Sum256([]byte(sts))
				if !ecdsa.VerifyASN1(pub, digest[:], der) {
					t.Errorf("%s-signature.txt does not verify against public-key.json", mode)
				}
				v := verifierFor(t, c)
				raw := []byte(readVector(t, d, mode+"-signed-request.txt"))
				if err := verifyRaw(t, v, raw, c.Credentials.SecretAccessKey, c.Timestamp); err != nil {
					t.Errorf("verify %s-signed-request.txt: %v", mode, err)
				}
				a, err := Parse(req)
				if err != nil {
					t.Fatalf("parse own %s signed request: %v", mode, err)
				}
				if err := v.Verify(req, a, c.Credentials.SecretAccessKey, c.Timestamp); err != nil {
					t.Errorf("verify own %s signed request: %v", mode, err)
				}
				err = verifyRaw(t, v, raw, c.Credentials.SecretAccessKey+"x", c.Timestamp)
				if !isKind(err, KindSignatureDoesNotMatch) {
					t.Errorf("%s wrong secret: got %v, want SignatureDoesNotMatch", mode, err)
				}
			}
		})
	}
	if ran == 0 {
		t.Fatal("no v4a cases ran")
	}
}

func publicKeyFromHex(t testing.TB, x, y string) *ecdsa.PublicKey {
	t.Helper()
	xb, err1 := hex.DecodeString(x)
	yb, err2 := hex.DecodeString(y)
	if err1 != nil || err2 != nil || len(xb) > 32 || len(yb) > 32 {
		t.Fatalf("bad public key %s, %s", x, y)
	}
	raw := make([]byte, 65)
	raw[0] = 4
	copy(raw[1+32-len(xb):33], xb)
	copy(raw[33+32-len(yb):], yb)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}
