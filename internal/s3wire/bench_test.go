package s3wire_test

import (
	"net/http/httptest"
	"testing"

	"github.com/brevet-dev/brevet/internal/s3wire"
)

// BenchmarkAddressPathStyle resolves a path-style GetObject with an
// escaped key (one decode) on a gateway with two domains.
func BenchmarkAddressPathStyle(b *testing.B) {
	r := newResolver(b, "s3.example.com", "s3.eu.example.com")
	req := httptest.NewRequest("GET", "/photos/2026/12/06/holiday%20pictures/IMG_0001.jpg", nil)
	req.Host = "s3.example.com:8787"
	b.ReportAllocs()
	for b.Loop() {
		if a, err := r.Request(req); err != nil || a.Bucket != "photos" {
			b.Fatal(a, err)
		}
	}
}

// BenchmarkAddressVirtualHosted resolves a virtual-hosted GetObject with
// an unescaped key (no decode, no allocation).
func BenchmarkAddressVirtualHosted(b *testing.B) {
	r := newResolver(b, "s3.example.com", "s3.eu.example.com")
	req := httptest.NewRequest("GET", "/2026/12/06/holiday-pictures/IMG_0001.jpg", nil)
	req.Host = "photos.s3.eu.example.com"
	b.ReportAllocs()
	for b.Loop() {
		if a, err := r.Request(req); err != nil || a.Bucket != "photos" {
			b.Fatal(a, err)
		}
	}
}

// BenchmarkWriteErrorNoSuchKey writes a NoSuchKey <Error> document.
func BenchmarkWriteErrorNoSuchKey(b *testing.B) {
	e := &s3wire.Error{Code: s3wire.CodeNoSuchKey, Message: s3wire.CodeNoSuchKey.Message, Key: "2026/12/06/IMG_0001.jpg", Resource: "/photos/2026/12/06/IMG_0001.jpg"}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s3wire.WriteError(w, "GET", goldenIDs, e)
	}
}

// BenchmarkAddressOnly is Address alone on a path-style GetObject with an
// escaped key: the one decode is its only allocation.
func BenchmarkAddressOnly(b *testing.B) {
	r := newResolver(b, "s3.example.com", "s3.eu.example.com")
	b.ReportAllocs()
	for b.Loop() {
		if a, err := r.Address("s3.example.com:8787", "/photos/2026/12/06/holiday%20pictures/IMG_0001.jpg"); err != nil || a.Bucket != "photos" {
			b.Fatal(a, err)
		}
	}
}
