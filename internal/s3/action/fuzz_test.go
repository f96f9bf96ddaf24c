package action

import (
	"net/http"
	"net/url"
	"testing"
)

// FuzzMap checks that Map never panics and always returns an error or at
// least one authorization (or, for DeleteObjects, PerKey), each with an
// action and a resource. Seeds run with go test; to fuzz:
//
//	go test -run '^$' -fuzz FuzzMap -fuzztime 60s ./internal/s3/action/
func FuzzMap(f *testing.F) {
	for _, s := range []struct{ method, bucket, key, query, copySource, tagging, acl, bypass string }{
		{"GET", "", "", "", "", "", "", ""},
		{"GET", "bk", "", "list-type=2&prefix=a", "", "", "", ""},
		{"PUT", "bk", "k", "", "/src/k%20x?versionId=1", "a=1&b=2", "private", ""},
		{"PUT", "bk", "k", "uploadId=u&partNumber=1", "src/k", "", "", ""},
		{"POST", "bk", "", "delete", "", "", "", "true"},
		{"DELETE", "bk", "k", "versionId=v", "", "", "", "true"},
		{"GET", "bk", "k", "acl&tagging", "", "", "", ""},
		{"PATCH", "bk", "k", "select&select-type=2", "", "", "", ""},
		{"PUT", "bk", "", "analytics&id=x", "", "", "public-read", ""},
		{"PUT", "bk", "k", "", "arn:aws:s3:::x", "%zz", "", ""},
	} {
		f.Add(s.method, s.bucket, s.key, s.query, s.copySource, s.tagging, s.acl, s.bypass)
	}
	f.Fuzz(func(t *testing.T, method, bucket, key, rawQuery, copySource, tagging, acl, bypass string) {
		q, _ := url.ParseQuery(rawQuery)
		h := http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}}
		for name, v := range map[string]string{
			"X-Amz-Copy-Source": copySource, "X-Amz-Tagging": tagging, "X-Amz-Acl": acl,
			"X-Amz-Bypass-Governance-Retention": bypass,
		} {
			if v != "" {
				h[name] = []string{v}
			}
		}
		r := Request{Method: method, Bucket: bucket, Key: key, Query: q, Header: h}
		res, err := Map(r)
		if err != nil {
			if res.Operation != "" || len(res.Authorizations) != 0 {
				t.Fatalf("Map: got %+v with error %v, want an empty result", res, err)
			}
			return
		}
		if res.Operation == "" {
			t.Fatalf("Map: got no operation and no error for %+v", r)
		}
		if len(res.Authorizations) == 0 && !res.PerKey {
			t.Fatalf("Map: got %s with no authorizations and no error", res.Operation)
		}
		if res.PerKey {
			if len(res.Authorizations) != 0 {
				t.Fatalf("Map: got PerKey with authorizations %v", res.Authorizations)
			}
			k, err := DeleteObjectsKey(r, key+"x", q.Get("versionId"))
			if err != nil || len(k.Authorizations) == 0 {
				t.Fatalf("DeleteObjectsKey: got %+v, %v; want authorizations", k, err)
			}
		}
		for _, a := range res.Authorizations {
			if a.Action == "" || a.Resource == "" {
				t.Fatalf("Map: got an empty authorization in %+v", res)
			}
		}
	})
}
