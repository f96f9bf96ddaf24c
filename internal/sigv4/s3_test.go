package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/vectortest"
	"github.com/google/go-cmp/cmp"
)

type s3Examples struct {
	Credentials struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
	} `json:"credentials"`
	Region    string `json:"region"`
	Service   string `json:"service"`
	Timestamp string `json:"timestamp"`
	Cases     []struct {
		Name    string `json:"name"`
		Auth    string `json:"auth"`
		Request struct {
			Method  string      `json:"method"`
			URL     string      `json:"url"`
			Headers [][2]string `json:"headers"`
			Body    string      `json:"body"`
		} `json:"request"`
		CanonicalRequest string `json:"canonical_request"`
		StringToSign     string `json:"string_to_sign"`
		Signature        string `json:"signature"`
		SeedSignature    string `json:"seed_signature"`
		Chunks           []struct {
			Size int `json:"size"`
			Data struct {
				Byte   string `json:"byte"`
				Repeat int    `json:"repeat"`
			} `json:"data"`
			StringToSign string `json:"string_to_sign"`
			Signature    string `json:"signature"`
		} `json:"chunks"`
		Trailer *struct {
			Headers      [][2]string `json:"headers"`
			StringToSign string      `json:"string_to_sign"`
			Signature    string      `json:"signature"`
		} `json:"trailer"`
	} `json:"cases"`
}

func loadS3Examples(t testing.TB) *s3Examples {
	t.Helper()
	p := vectortest.Dir(t, "sigv4-s3-aws-doc-examples/s3-sigv4-doc-examples.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var ex s3Examples
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	return &ex
}

func s3Verifier(t testing.TB, region, service string) *Verifier {
	t.Helper()
	v, err := NewVerifier(Config{Regions: []string{region}, Services: []string{service}, S3PathRules: true, UnsignedPayload: true})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// canonicalFor rebuilds the canonical request and string to sign the way
// Verify does, for comparing each step with published values.
func canonicalFor(t testing.TB, v *Verifier, req *Request, a *Auth) (string, string) {
	t.Helper()
	var buf [64]byte
	payload, kind, err := v.payloadHash(req, a, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if kind == payloadNeedsBody {
		sum := sha256.Sum256(req.Body)
		payload = []byte(hex.EncodeToString(sum[:]))
	}
	in := canonicalInput{signedHeaders: a.SignedHeaders, presigned: a.Presigned, normalize: !v.cfg.S3PathRules, payloadHash: payload}
	cr := appendCanonicalRequest(nil, req, &in, &querySorter{})
	h := sha256.Sum256(cr)
	return string(cr), string(appendStringToSign(nil, a.Algorithm, a.AmzDate, a.Scope, &h))
}

func TestS3DocExamples(t *testing.T) {
	ex := loadS3Examples(t)
	now, ok := parseAmzDate(ex.Timestamp)
	if !ok {
		t.Fatalf("bad timestamp %q", ex.Timestamp)
	}
	v := s3Verifier(t, ex.Region, ex.Service)
	secret := ex.Credentials.SecretAccessKey
	for _, c := range ex.Cases {
		t.Run(c.Name, func(t *testing.T) {
			u, err := url.Parse(c.Request.URL)
			if err != nil {
				t.Fatal(err)
			}
			req := &Request{Method: c.Request.Method, Path: u.EscapedPath(), RawQuery: u.RawQuery, Header: http.Header{}, Body: []byte(c.Request.Body)}
			for _, h := range c.Request.Headers {
				req.Header.Add(h[0], h[1])
			}
			req.Host = req.Header.Get("Host")
			req.Header.Del("Host")
			a, err := Parse(req)
			if err != nil {
				t.Fatal(err)
			}
			cr, sts := canonicalFor(t, v, req, a)
			if diff := cmp.Diff(c.CanonicalRequest, cr); diff != "" {
				t.Errorf("canonical request (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(c.StringToSign, sts); diff != "" {
				t.Errorf("string to sign (-want +got):\n%s", diff)
			}
			if c.Auth != "header-streaming" {
				if err := v.Verify(req, a, secret, now); err != nil {
					t.Fatalf("verify: %v", err)
				}
				if len(req.Body) > 0 {
					req.Body = flipByte(req.Body, len(req.Body)/2)
					if err := v.Verify(req, a, secret, now); !isKind(err, KindContentSHA256Mismatch) {
						t.Errorf("flipped body: got %v, want ContentSHA256Mismatch", err)
					}
				}
				return
			}
			// Streaming: build the wire body from the published chunk
			// signatures, then decode it through VerifyStream.
			var wire, want bytes.Buffer
			for _, ch := range c.Chunks {
				data := bytes.Repeat([]byte(ch.Data.Byte), ch.Data.Repeat)
				want.Write(data)
				wire.WriteString((hexSize(ch.Size)) + ";chunk-signature=" + ch.Signature + "\r\n")
				wire.Write(data)
				if ch.Size > 0 || c.Trailer == nil {
					wire.WriteString("\r\n")
				}
			}
			if c.Trailer != nil {
				for _, h := range c.Trailer.Headers {
					wire.WriteString(h[0] + ":" + h[1] + "\r\n")
				}
				wire.WriteString("x-amz-trailer-signature:" + c.Trailer.Signature + "\r\n\r\n")
			}
			body := wire.Bytes()
			got, err := readStream(v, req, a, secret, now, body)
			if err != nil {
				t.Fatalf("streaming verify: %v", err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("decoded body differs: got %d bytes, want %d", len(got), want.Len())
			}
			// A flipped byte anywhere in the framing, and at sampled
			// places in the data, is rejected.
			for i := 0; i < len(body); i++ {
				if body[i] == 'a' && i%997 != 0 {
					continue
				}
				got, err := readStream(v, req, a, secret, now, flipByte(body, i))
				if err == nil {
					t.Fatalf("flipped byte %d (%q) accepted", i, body[i])
				}
				if !bytes.HasPrefix(want.Bytes(), got) {
					t.Fatalf("flipped byte %d (%q): unverified bytes returned before the error", i, body[i])
				}
			}
			// So is a truncated body.
			if _, err := readStream(v, req, a, secret, now, body[:len(body)-3]); err == nil {
				t.Fatal("truncated body accepted")
			}
		})
	}
}

func hexSize(n int) string { return strconv.FormatInt(int64(n), 16) }

func flipByte(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

func readStream(v *Verifier, req *Request, a *Auth, secret string, now time.Time, body []byte) ([]byte, error) {
	r, err := v.VerifyStream(req, a, secret, now, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r) // on error, what was returned before it
}

// chunkEncoder writes aws-chunked bodies, independently of chunkReader,
// for tests, fuzz seeds and benchmarks.
type chunkEncoder struct {
	key            [32]byte
	amzDate, scope string
	prev           string
}

func (e *chunkEncoder) sign(alg, line4 string, h []byte) string {
	sts := alg + "\n" + e.amzDate + "\n" + e.scope + "\n" + e.prev + "\n"
	if line4 != "" {
		sts += line4 + "\n"
	}
	sts += hex.EncodeToString(h)
	m := hmac.New(sha256.New, e.key[:])
	m.Write([]byte(sts))
	e.prev = hex.EncodeToString(m.Sum(nil))
	return e.prev
}

// encode writes data in chunks of size n, and a trailer when given.
func (e *chunkEncoder) encode(data []byte, n int, trailer [][2]string) []byte {
	var w bytes.Buffer
	for {
		c := data[:min(n, len(data))]
		data = data[len(c):]
		h := sha256.Sum256(c)
		w.WriteString((hexSize(len(c))) + ";chunk-signature=" + e.sign(algChunk, emptySHA256, h[:]) + "\r\n")
		w.Write(c)
		if len(c) > 0 || trailer == nil {
			w.WriteString("\r\n")
		}
		if len(c) == 0 {
			break
		}
	}
	if trailer != nil {
		var canon string
		for _, t := range trailer {
			w.WriteString(t[0] + ":" + t[1] + "\r\n")
			canon += t[0] + ":" + t[1] + "\n"
		}
		h := sha256.Sum256([]byte(canon))
		w.WriteString("x-amz-trailer-signature:" + e.sign(algTrailer, "", h[:]) + "\r\n\r\n")
	}
	return w.Bytes()
}
