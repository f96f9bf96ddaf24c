package gateway

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/s3wire"
)

// FuzzBodies feeds the XML bodies the gateway reads to authorize
// (DeleteObjects, tagging, CreateBucket) arbitrary bytes: no panic, and a
// refusal is S3's MalformedXML.
//
// To fuzz: go test ./internal/s3/gateway -run '^$' -fuzz FuzzBodies -fuzztime 60s
func FuzzBodies(f *testing.F) {
	for _, s := range []string{
		`<Delete><Quiet>true</Quiet><Object><Key>a</Key><VersionId>v</VersionId></Object></Delete>`,
		`<Tagging><TagSet><Tag><Key>env</Key><Value>dev</Value></Tag></TagSet></Tagging>`,
		`<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`,
		`<!DOCTYPE x [<!ENTITY a "aaaa">]><Delete><Object><Key>&a;</Key></Object></Delete>`,
		``, `<`, `<Delete/>`,
	} {
		f.Add([]byte(s))
	}
	malformed := func(t *testing.T, err error) {
		var we *s3wire.Error
		if err != nil && (!errors.As(err, &we) || we.Code != s3wire.CodeMalformedXML) {
			t.Fatalf("error %v is not MalformedXML", err)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseDelete(b)
		malformed(t, err)
		if err == nil && (len(d.Objects) == 0 || len(d.Objects) > maxDeleteKeys) {
			t.Fatalf("parseDelete accepted %d objects", len(d.Objects))
		}
		if err == nil {
			for _, o := range d.Objects {
				_ = s3wire.CheckKey(o.Key)
			}
		}
		tags, err := parseTagging(b)
		if we := (*s3wire.Error)(nil); !errors.As(err, &we) || we.Code != s3wire.CodeInvalidTag { // a key given twice
			malformed(t, err)
		}
		if len(tags) > maxTags {
			t.Fatalf("parseTagging accepted %d tags", len(tags))
		}
		_, err = locationConstraint(b)
		malformed(t, err)
	})
}

// FuzzSplitQuery: the forwarded query never carries a presigning
// parameter, and what it keeps is the received query's own text.
func FuzzSplitQuery(f *testing.F) {
	for _, s := range []string{
		"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Signature=00&versionId=v1",
		"acl&x-amz-acl=public-read&X-Amz-Security-Token=t", "X-Amz-%53ignature=1", "%zz=1&a=%", "",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, presigned bool) {
		fwd, hoisted := splitQuery(raw, presigned)
		if fwd != "" {
			for part := range strings.SplitSeq(fwd, "&") {
				if !strings.Contains("&"+raw+"&", "&"+part+"&") {
					t.Fatalf("forwarded %q is not in %q", part, raw)
				}
				name, _, _ := strings.Cut(part, "=")
				if n, err := url.QueryUnescape(name); err == nil && signingParams[n] {
					t.Fatalf("forwarded the presigning parameter %q", part)
				}
			}
		}
		if len(hoisted) > 0 && !presigned {
			t.Fatalf("hoisted %v from a request that is not presigned", hoisted)
		}
		for k := range forwardHeader(hoisted, false) {
			if k == "X-Amz-Security-Token" || k == "Authorization" {
				t.Fatalf("forwarded the header %q", k)
			}
		}
	})
}

func TestSigV2Detection(t *testing.T) {
	tests := []struct {
		header, query string
		want          bool
	}{
		{"AWS AKIDEXAMPLE:c2ln", "", true},
		{"", "AWSAccessKeyId=AKID&Expires=1&Signature=abc", true},
		{"", "Signature=abc", true},
		{"AWS4-HMAC-SHA256 Credential=a/b", "", false},
		{"", "X-Amz-Signature=00&X-Amz-Credential=a", false},
		{"", "prefix=Signature&mySignature=1&list-type=2", false},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest("GET", "http://s3.test/b/k?"+tt.query, nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		if got := sigV2(r); got != tt.want {
			t.Errorf("sigV2(%q, %q) = %v, want %v", tt.header, tt.query, got, tt.want)
		}
	}
}
