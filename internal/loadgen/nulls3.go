package loadgen

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// NullS3ObjectSize is the size of every object NullS3Handler serves,
// but those named size-N.
const NullS3ObjectSize = 1024

// NullS3SizePrefix starts the name of an object whose size is in its
// name: GET /bucket/size-1073741824 answers 1 GiB of zero bytes.
const NullS3SizePrefix = "size-"

// NullS3Handler is the S3 gateway benchmark's backend: an S3 responder
// that answers at once and keeps nothing, the practical ceiling of the
// machine for an S3 request, as TrivialHandler is for STS. It checks no
// signature and parses no more than the path:
//
//   - GET / (ListBuckets): a small ListAllMyBucketsResult naming "bench".
//   - PUT, HEAD /bucket (CreateBucket, HeadBucket): 200; GET /bucket
//     (ListObjectsV2): an empty listing; DELETE /bucket: 204.
//   - GET, HEAD /bucket/key: a fixed object of NullS3ObjectSize bytes,
//     or, for a key named size-N, N zero bytes streamed from one reused
//     buffer; with ETag, Content-Length, Last-Modified and the request
//     id headers S3 sends.
//   - PUT /bucket/key: the body read and dropped, 200 with an ETag.
//   - DELETE /bucket/key: 204.
//
// Anything else is S3's MethodNotAllowed error.
func NullS3Handler() http.Handler {
	n := newNullS3()
	return http.HandlerFunc(n.serve)
}

// nullS3 is the null backend's fixed responses and buffers.
type nullS3 struct {
	object     []byte
	objectLen  string
	objectETag string
	list       []byte
	listLen    string
	reqs       atomic.Uint64
	// bufs are the buffers that PUT bodies are read into.
	bufs sync.Pool
}

// nullS3Chunk is the size of the zero buffer large objects are written
// from and of the buffers PUT bodies are read into.
const nullS3Chunk = 256 << 10

// nullS3Zeros is the zero buffer large objects are written from; it is
// only ever read.
var nullS3Zeros = make([]byte, nullS3Chunk)

const (
	nullS3LastModified = "Tue, 01 Dec 2026 00:00:00 GMT"
	nullS3HostID       = "bnVsbC1zMy1iYWNrZW5kLWZvci1icmV2ZXQtYmVuY2g="
)

func newNullS3() *nullS3 {
	obj := bytes.Repeat([]byte("brevet-bench-object-"), NullS3ObjectSize/20+1)[:NullS3ObjectSize]
	sum := md5.Sum(obj)
	n := &nullS3{object: obj, objectLen: strconv.Itoa(len(obj)), objectETag: `"` + hex.EncodeToString(sum[:]) + `"`, list: []byte(nullS3ListBuckets)}
	n.listLen = strconv.Itoa(len(n.list))
	n.bufs.New = func() any { b := make([]byte, nullS3Chunk); return &b }
	return n
}

func (n *nullS3) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Sixteen hex digits, as S3's request ids are.
	h["X-Amz-Request-Id"] = []string{fmt.Sprintf("%016X", n.reqs.Add(1))}
	h["X-Amz-Id-2"] = []string{nullS3HostID}
	h["Server"] = []string{"AmazonS3"}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case bucket == "" && r.Method == http.MethodGet:
		n.write(w, "application/xml", n.listLen, n.list)
	case bucket == "":
		n.methodNotAllowed(w, r)
	case key == "":
		n.bucket(w, r)
	default:
		n.objectReq(w, r, key)
	}
}

// bucket answers the bucket-level requests.
func (n *nullS3) bucket(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPut: // CreateBucket
		n.drain(r.Body)
		w.Header()["Location"] = []string{"/" + strings.Trim(r.URL.Path, "/")}
		w.Header()["Content-Length"] = []string{"0"}
	case http.MethodHead:
		w.Header()["Content-Length"] = []string{"0"}
	case http.MethodGet: // ListObjectsV2 of an empty bucket
		name := strings.Trim(r.URL.Path, "/")
		body := []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
			`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>` + xmlText(name) +
			`</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`)
		n.write(w, "application/xml", strconv.Itoa(len(body)), body)
	case http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default:
		n.methodNotAllowed(w, r)
	}
}

// objectReq answers the object-level requests.
func (n *nullS3) objectReq(w http.ResponseWriter, r *http.Request, key string) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		size, sized := nullS3Size(key)
		h := w.Header()
		h["Last-Modified"] = []string{nullS3LastModified}
		h["Accept-Ranges"] = []string{"bytes"}
		if !sized {
			h["Etag"] = []string{n.objectETag}
			if r.Method == http.MethodHead {
				h["Content-Length"] = []string{n.objectLen}
				return
			}
			n.write(w, "application/octet-stream", n.objectLen, n.object)
			return
		}
		h["Etag"] = []string{fmt.Sprintf(`"%032x"`, size)}
		h["Content-Type"] = []string{"application/octet-stream"}
		h["Content-Length"] = []string{strconv.FormatInt(size, 10)}
		if r.Method == http.MethodHead {
			return
		}
		for size > 0 {
			c := min(size, nullS3Chunk)
			if _, err := w.Write(nullS3Zeros[:c]); err != nil {
				return
			}
			size -= c
		}
	case http.MethodPut:
		got := n.drain(r.Body)
		w.Header()["Etag"] = []string{fmt.Sprintf(`"%032x"`, got)}
		w.Header()["Content-Length"] = []string{"0"}
	case http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	default:
		n.methodNotAllowed(w, r)
	}
}

// nullS3Size reads N from a key named size-N.
func nullS3Size(key string) (int64, bool) {
	s, ok := strings.CutPrefix(key, NullS3SizePrefix)
	if !ok {
		return 0, false
	}
	size, err := strconv.ParseInt(s, 10, 64)
	return size, err == nil && size >= 0
}

// drain reads body to its end, into a pooled buffer larger than
// io.Discard's, and returns its length.
func (n *nullS3) drain(body io.Reader) int64 {
	bp := n.bufs.Get().(*[]byte)
	defer n.bufs.Put(bp)
	var total int64
	for {
		k, err := body.Read(*bp)
		total += int64(k)
		if err != nil {
			return total
		}
	}
}

func (n *nullS3) write(w http.ResponseWriter, contentType, length string, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{length}
	_, _ = w.Write(body)
}

func (n *nullS3) methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	n.drain(r.Body)
	body := []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<Error><Code>MethodNotAllowed</Code><Message>The specified method is not allowed against this resource.</Message><Method>` +
		xmlText(r.Method) + `</Method><RequestId>` + w.Header().Get("X-Amz-Request-Id") + `</RequestId></Error>`)
	h := w.Header()
	h["Content-Type"] = []string{"application/xml"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusMethodNotAllowed)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// xmlText escapes s for XML character data.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

const nullS3ListBuckets = `<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>bench</DisplayName></Owner><Buckets><Bucket><Name>bench</Name><CreationDate>2026-12-01T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>`
