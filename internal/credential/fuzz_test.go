package credential

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzOpenToken: whatever arrives in X-Amz-Security-Token, Open never panics
// and answers with claims or one of its two typed errors. The seed corpus in
// testdata/fuzz/FuzzOpenToken has tokens sealed by the ring below.
func FuzzOpenToken(f *testing.F) {
	r := newRing(f)
	f.Add("", "")
	f.Add("AQ==", "ASIAQAAAAAAAAAAAAAAA")
	f.Add("====", "AKIA")
	f.Fuzz(func(t *testing.T, token, akid string) {
		c, err := r.Open(token, akid, t0)
		var ie *TokenInvalidError
		var ee *TokenExpiredError
		switch {
		case err == nil:
			if c.AccessKeyID != akid || c.validate() != nil {
				t.Fatalf("Open accepted claims %v for %q", c, akid)
			}
		case errors.As(err, &ie), errors.As(err, &ee):
		default:
			t.Fatalf("Open: untyped error %v", err)
		}
	})
}

// FuzzDecodeBody reaches the body decoder directly (through Open only
// sealed bodies would): it never panics, and what decodes, as a body of
// any version, re-encodes (in the current version) to claims that decode
// the same.
func FuzzDecodeBody(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range [...]byte{tokenVersionV1, tokenVersionV2, tokenVersionV3, tokenVersion} {
			var c Claims
			if err := decodeBody(v, string(body), &c); err != nil {
				continue
			}
			p, err := Pack(c.Policy, c.PolicyARNs, c.Tags)
			if err != nil {
				continue // decodable but over budget: Seal would refuse it
			}
			var again Claims
			if err := decodeBody(tokenVersion, string(appendBody(nil, tokenVersion, &c, p)), &again); err != nil {
				t.Fatalf("version %d body re-encoded does not decode: %v", v, err)
			}
			if diff := cmp.Diff(c, again, secretEqual); diff != "" {
				t.Fatalf("version %d: decode(encode(c)) (-want +got):\n%s", v, diff)
			}
		}
	})
}
