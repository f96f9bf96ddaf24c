package gateway

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// scripted is a source that returns its data in the given pieces, then
// end (io.EOF or a failure).
type scripted struct {
	pieces [][]byte
	end    error
}

func (s *scripted) Read(p []byte) (int, error) {
	if len(s.pieces) == 0 {
		return 0, s.end
	}
	n := copy(p, s.pieces[0])
	s.pieces[0] = s.pieces[0][n:]
	if len(s.pieces[0]) == 0 {
		s.pieces = s.pieces[1:]
	}
	return n, nil
}

// readAll reads b with reads of size n and returns what came out before
// the error.
func readAll(b *verifiedBody, n int) ([]byte, error) {
	var out []byte
	buf := make([]byte, n)
	for {
		k, err := b.Read(buf)
		out = append(out, buf[:k]...)
		if err != nil {
			return out, err
		}
	}
}

// TestVerifiedBodyWithholdsLastByte: whatever the read sizes, the last
// byte of the body comes out only after the source ended cleanly with the
// declared length; on a failure it never does.
func TestVerifiedBodyWithholdsLastByte(t *testing.T) {
	data := []byte("0123456789abcdefghij")
	fail := errors.New("bad chunk signature")
	tests := []struct {
		name    string
		pieces  []int // sizes of the source's reads
		end     error
		limit   int64
		wantN   int // bytes that may come out
		wantErr error
	}{
		{"clean, one piece", []int{20}, io.EOF, 20, 20, io.EOF},
		{"clean, small pieces", []int{1, 2, 3, 14}, io.EOF, 20, 20, io.EOF},
		{"clean, unknown length", []int{5, 15}, io.EOF, -1, 20, io.EOF},
		{"failure at the end", []int{20}, fail, 20, 19, fail},
		{"failure in small pieces", []int{1, 1, 18}, fail, -1, 19, fail},
		{"too short", []int{10, 9}, io.EOF, 20, 18, errBodyTooShort},
		{"too long", []int{20}, io.EOF, 19, 18, errBodyTooLong},
		{"unexpected EOF", []int{20}, io.ErrUnexpectedEOF, 20, 19, nil},
	}
	for _, tt := range tests {
		for _, readSize := range []int{1, 2, 7, 64} {
			var pieces [][]byte
			off := 0
			for _, n := range tt.pieces {
				pieces = append(pieces, bytes.Clone(data[off:off+n]))
				off += n
			}
			b := newVerifiedBody(&scripted{pieces: pieces, end: tt.end}, tt.limit)
			got, err := readAll(b, readSize)
			if len(got) > tt.wantN || !bytes.Equal(got, data[:len(got)]) {
				t.Errorf("%s, reads of %d: got %q, want at most the first %d bytes", tt.name, readSize, got, tt.wantN)
			}
			if tt.wantErr == io.EOF {
				if err != io.EOF || len(got) != len(data) {
					t.Errorf("%s, reads of %d: %d bytes, %v; want all, EOF", tt.name, readSize, len(got), err)
				}
				if b.Failure() != nil {
					t.Errorf("%s: Failure() = %v", tt.name, b.Failure())
				}
				continue
			}
			if err == io.EOF || err == nil || b.Failure() == nil {
				t.Errorf("%s, reads of %d: err %v, Failure %v; want a failure", tt.name, readSize, err, b.Failure())
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("%s, reads of %d: err %v, want %v", tt.name, readSize, err, tt.wantErr)
			}
			if len(got) == len(data) {
				t.Errorf("%s, reads of %d: the last byte came out", tt.name, readSize)
			}
		}
	}
}

func TestVerifiedBodyPassesIOTest(t *testing.T) {
	data := bytes.Repeat([]byte("abc"), 1000)
	b := newVerifiedBody(iotest.HalfReader(bytes.NewReader(data)), int64(len(data)))
	if err := iotest.TestReader(b, data); err != nil {
		t.Fatal(err)
	}
	if b.Count() != int64(len(data)) {
		t.Errorf("Count = %d, want %d", b.Count(), len(data))
	}
}

// TestTrailerEncoder: the framed body has the length announced, decodes
// to the data, and ends with the checksum of the data.
func TestTrailerEncoder(t *testing.T) {
	for _, name := range []string{"x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1", "x-amz-checksum-sha256"} {
		for _, n := range []int{0, 1, trailerChunk - 1, trailerChunk, trailerChunk + 1, 3*trailerChunk + 17} {
			data := bytes.Repeat([]byte{'z'}, n)
			framed, err := io.ReadAll(newTrailerEncoder(newVerifiedBody(bytes.NewReader(data), int64(n)), name))
			if err != nil {
				t.Fatalf("%s %d: %v", name, n, err)
			}
			if got, want := int64(len(framed)), trailerLength(int64(n), name); got != want {
				t.Errorf("%s %d: framed %d bytes, announced %d", name, n, got, want)
			}
			h, _ := checksumFor(name)
			h.Write(data)
			if want := name + ":" + base64.StdEncoding.EncodeToString(h.Sum(nil)) + "\r\n\r\n"; !bytes.HasSuffix(framed, []byte(want)) {
				t.Errorf("%s %d: ends %q, want %q", name, n, framed[max(0, len(framed)-80):], want)
			}
		}
	}
	// A failing body never gets its trailer.
	fail := errors.New("bad")
	framed, err := io.ReadAll(newTrailerEncoder(newVerifiedBody(&scripted{pieces: [][]byte{bytes.Repeat([]byte{'z'}, 100)}, end: fail}, 100), "x-amz-checksum-crc32"))
	if !errors.Is(err, fail) || bytes.Contains(framed, []byte("x-amz-checksum")) {
		t.Errorf("failing body: %q, %v", framed, err)
	}
}

// TestTrailerEncoderReusesItsFrame: framing a large body allocates a
// bounded amount, not a new chunk-sized buffer for every chunk.
func TestTrailerEncoderReusesItsFrame(t *testing.T) {
	const chunks = 64
	data := bytes.Repeat([]byte{'z'}, chunks*trailerChunk)
	buf := make([]byte, 32<<10) // the transport reads less than a chunk at a time
	var src bytes.Reader
	allocs := testing.AllocsPerRun(3, func() {
		src.Reset(data)
		enc := newTrailerEncoder(&src, "x-amz-checksum-crc32")
		for {
			if _, err := enc.Read(buf); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs > chunks/4 {
		t.Errorf("framing %d chunks allocates %.0f times, want a bounded few", chunks, allocs)
	}
}
