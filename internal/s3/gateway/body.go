package gateway

import (
	"errors"
	"io"
	"sync/atomic"

	"github.com/brevet-dev/brevet/internal/s3wire"
)

// verifiedBody passes an upload's verifying reader on to the backend and
// withholds its last byte until the verifying reader has returned io.EOF,
// with exactly the declared number of bytes when a length was declared.
// The verifying reader reports a bad final chunk, trailer, checksum or
// payload hash only at the end; until then the backend has seen at most
// all but one byte of the body, and when the check fails the read fails,
// the transport aborts the request, and the backend, short of a byte,
// stores nothing.
//
// Read is called by one goroutine at a time (the transport's); Count and
// Failure may be called from others.
type verifiedBody struct {
	r     io.Reader
	limit int64 // the declared length, -1 when unknown

	n    atomic.Int64 // bytes read from r
	fail atomic.Pointer[error]

	held byte
	have bool
	err  error // sticky: io.EOF or the failure
}

func newVerifiedBody(r io.Reader, limit int64) *verifiedBody {
	return &verifiedBody{r: r, limit: limit}
}

// errBodyTooLong refuses a body longer than its declared length.
var errBodyTooLong = s3wire.CodeIncompleteBody.New("The request body is longer than its declared length.")

// errBodyTooShort refuses a body shorter than its declared length.
var errBodyTooShort = s3wire.CodeIncompleteBody.New("")

// Count returns the bytes read from the client so far.
func (b *verifiedBody) Count() int64 { return b.n.Load() }

// Failure returns why the body failed, or nil.
func (b *verifiedBody) Failure() error {
	if p := b.fail.Load(); p != nil {
		return *p
	}
	return nil
}

// pull reads from r into p and settles b.err.
func (b *verifiedBody) pull(p []byte) int {
	n, err := b.r.Read(p)
	total := b.n.Add(int64(n))
	switch {
	case b.limit >= 0 && total > b.limit:
		err = errBodyTooLong
	case err == io.EOF && b.limit >= 0 && total != b.limit:
		err = errBodyTooShort
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = s3wire.CodeIncompleteBody.New("")
	}
	if err != nil {
		b.err = err
		if err != io.EOF {
			b.fail.Store(&err)
			b.have = false
		}
	}
	return n
}

func (b *verifiedBody) Read(p []byte) (int, error) {
	for len(p) > 0 {
		if b.err != nil {
			if b.err == io.EOF && b.have {
				b.have = false
				p[0] = b.held
				return 1, nil
			}
			return 0, b.err
		}
		if b.have && len(p) == 1 {
			// Room for the held byte only: look one byte ahead first.
			var one [1]byte
			n := b.pull(one[:])
			switch {
			case b.err != nil && b.err != io.EOF:
				return 0, b.err
			case n == 1:
				p[0], b.held = b.held, one[0]
				return 1, nil
			case b.err == io.EOF:
				b.have = false
				p[0] = b.held
				return 1, nil
			}
			continue
		}
		off := 0
		if b.have {
			p[0], off = b.held, 1
		}
		n := b.pull(p[off:])
		if b.err != nil && b.err != io.EOF {
			return 0, b.err
		}
		total := off + n
		b.have = false
		if b.err == io.EOF {
			if total == 0 {
				return 0, io.EOF
			}
			return total, nil
		}
		if total == 0 {
			continue
		}
		b.held, b.have = p[total-1], true
		if total > 1 {
			return total - 1, nil
		}
	}
	return 0, nil
}
