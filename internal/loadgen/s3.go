package loadgen

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
)

// S3Request is a REST workload for S3: method on path (escaped,
// "/bucket/key"), with body (nil for none), signed as S3 signs (the
// payload's SHA-256 in x-amz-content-sha256, computed once here), and
// successful when answered 200.
func S3Request(action, method, path string, body []byte) Workload {
	sum := sha256.Sum256(body)
	return Workload{
		Action: action, Service: "s3", Method: method, Path: path,
		Body: body, PayloadHash: hex.EncodeToString(sum[:]), Status: http.StatusOK,
	}
}

// GetObject reads the object at path ("/bucket/key").
func GetObject(path string) Workload { return S3Request("GetObject", http.MethodGet, path, nil) }

// PutObject writes body to the object at path ("/bucket/key").
func PutObject(path string, body []byte) Workload {
	return S3Request("PutObject", http.MethodPut, path, body)
}
