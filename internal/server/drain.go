package server

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// A streaming handler may answer before it has read the whole body: the
// S3 gateway refuses an aws-chunked upload at the first chunk whose
// signature is wrong, with the rest of the body still on its way. net/http
// reads what is left, up to 256 KiB, before it answers a client that keeps
// its connection, but not for a client that sent Connection: close: it
// answers and closes at once, the kernel answers the unread bytes with a
// reset, and a client still writing its body (boto3, the AWS CLI and the
// SDKs read the response only once the body is sent) sees "connection
// reset" instead of the error. So before the answer goes out, the rest of
// a body within drainMaxBytes is read and dropped, for at most
// drainTimeout. A larger remainder is not read (a stranger cannot make the
// server read much for nothing), nor is the body of a request the handler
// refused with Connection: close (an overload refusal, which must cost
// nothing), nor one the client waits for a 100 Continue to send; those
// connections, and one whose drain did not reach the end, are closed after
// the answer (net/http may read up to 256 KiB more first, within the same
// timeout).
const (
	drainMaxBytes = 1 << 20
	drainTimeout  = 5 * time.Second
)

// drainer reads what a streaming handler left of its request's body
// (see drainMaxBytes); timeout and max are drainTimeout and drainMaxBytes
// outside tests.
type drainer struct {
	timeout time.Duration
	max     int64
}

// errNotDrained says why a body was left unread.
var errNotDrained = errors.New("server: request body left unread")

// countedBody counts the bytes read from a request body and whether its
// end was seen. Read may be called from a goroutine other than the
// handler's (an outgoing transport's), hence the atomics.
type countedBody struct {
	io.ReadCloser
	n   atomic.Int64
	eof atomic.Bool
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	if err == io.EOF {
		b.eof.Store(true)
	}
	return n, err
}

// wrap serves next with r's body counted, then drains what next left.
func (d drainer) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// HTTP/2 resets a stream, not the connection, and has no
		// Connection header.
		if r.ProtoMajor != 1 || r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			next.ServeHTTP(w, r)
			return
		}
		body := &countedBody{ReadCloser: r.Body}
		r2 := *r // net/http keeps r, and looks at its own body's type
		r2.Body = body
		next.ServeHTTP(w, &r2)
		if body.eof.Load() {
			return
		}
		// net/http itself may read up to 256 KiB of the rest once the
		// answer is sent: bound that too.
		h, rc := w.Header(), http.NewResponseController(w)
		if rc.SetReadDeadline(time.Now().Add(d.timeout)) != nil {
			h.Set("Connection", "close")
			return
		}
		if h.Get("Connection") == "close" {
			return
		}
		if d.drain(r, body) == io.EOF {
			_ = rc.SetReadDeadline(time.Time{})
			return
		}
		// What is left must not be read as the next request. No effect if
		// the handler already sent its header: net/http then read or
		// refused the rest itself.
		h.Set("Connection", "close")
	})
}

// drain reads and drops the rest of body within the byte bound (the
// connection's read deadline bounds the time); io.EOF means it was read
// to its end.
func (d drainer) drain(r *http.Request, body *countedBody) error {
	read := body.n.Load()
	if r.ContentLength > 0 && r.ContentLength-read > d.max {
		return errNotDrained
	}
	if read == 0 && strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		return errNotDrained // reading would ask for a body nobody wants
	}
	if _, err := io.CopyN(io.Discard, body, d.max+1); err != nil {
		return err
	}
	return errNotDrained
}
