package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// withDrain sets the streaming listener's draining bounds; it must come
// after WithStreaming.
func withDrain(d drainer) Option {
	return func(s *Server) { s.stream.drainer = d }
}

// readCountingListener records, as each accepted connection is closed,
// how many bytes the server had read from it.
type readCountingListener struct {
	net.Listener
	closed chan int64
}

func (l *readCountingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &readCountingConn{Conn: c, closed: l.closed}, nil
}

type readCountingConn struct {
	net.Conn
	n      atomic.Int64
	closed chan int64
	once   sync.Once
}

func (c *readCountingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *readCountingConn) Close() error {
	c.once.Do(func() { c.closed <- c.n.Load() })
	return c.Conn.Close()
}

// TestStreamingRefusalReadable: a streaming handler that refuses an
// upload after reading part of its body (the S3 gateway at a chunk whose
// signature is wrong) has the rest of a body within the bound read before
// its answer goes out, so that the server closes no connection with bytes
// unread, which the kernel would answer with a reset that loses the answer
// of a client still writing; a client that keeps its connection keeps it.
// A remainder past the bound, the body of a request the handler refused
// with Connection: close, or one the client waits for a 100 Continue to
// send, is not read: the answer goes out at once (the drain's timeout is
// then longer than the client's failsafe), and the connection is closed.
// A client that stops sending is answered once the drain's timeout ends.
func TestStreamingRefusalReadable(t *testing.T) {
	const first = 64 << 10
	for _, tc := range []struct {
		name       string
		read, rest int    // bytes the handler reads; bytes declared after the first part
		sendRest   bool   // the client sends the rest with the first part
		header     string // the request's extra header lines
		refuse     string // the handler's Connection header
		timeout    time.Duration
		wantAll    bool // the server reads the whole body before closing
		wantClose  bool // the answer says Connection: close
	}{
		{"client closes", first, 86 << 10, true, "Connection: close\r\n", "", time.Minute, true, true},
		{"client keeps alive", first, 86 << 10, true, "", "", time.Minute, true, false},
		{"rest at the bound", first, drainMaxBytes, true, "Connection: close\r\n", "", time.Minute, true, true},
		{"rest past the bound", first, drainMaxBytes + 1, false, "", "", time.Minute, false, true},
		{"handler closes", first, 86 << 10, false, "", "close", 50 * time.Millisecond, false, true},
		{"client waits for 100 Continue", 0, 86 << 10, false, "Expect: 100-continue\r\n", "", 50 * time.Millisecond, false, true},
		{"client stops sending", first, 86 << 10, false, "", "", 50 * time.Millisecond, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == "PUT" {
					if _, err := io.ReadFull(r.Body, make([]byte, tc.read)); err != nil {
						t.Errorf("reading the first part: %v", err)
					}
				}
				if tc.refuse != "" {
					w.Header().Set("Connection", tc.refuse)
				}
				w.WriteHeader(http.StatusForbidden)
				_, _ = io.WriteString(w, "<Error><Code>SignatureDoesNotMatch</Code></Error>")
			})
			srv := start(t, Config{}, echoID, WithStreaming("s3", h, nil), withDrain(drainer{timeout: tc.timeout, max: drainMaxBytes}))
			raw, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ln := &readCountingListener{Listener: raw, closed: make(chan int64, 1)}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { _ = srv.srv.RunStreaming(ctx, ln) }()

			c, err := net.Dial("tcp", raw.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second)) // a failsafe, not an assertion
			req := fmt.Sprintf("PUT /b/k HTTP/1.1\r\nHost: s3\r\nContent-Length: %d\r\n%s\r\n", first+tc.rest, tc.header)
			if tc.read > 0 {
				req += strings.Repeat("a", first)
			}
			if tc.sendRest {
				req += strings.Repeat("b", tc.rest)
			}
			wrote := make(chan error, 1)
			go func() { _, err := io.WriteString(c, req); wrote <- err }()
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("reading the answer: %v", err)
			}
			b, err := io.ReadAll(resp.Body)
			if resp.StatusCode != 403 || err != nil || !strings.Contains(string(b), "SignatureDoesNotMatch") {
				t.Fatalf("answer: %d %q %v, want 403 SignatureDoesNotMatch", resp.StatusCode, b, err)
			}
			if err := <-wrote; err != nil {
				t.Errorf("writing the request: %v", err)
			}
			if resp.Close != tc.wantClose {
				t.Errorf("answer says Connection: close: %v, want %v", resp.Close, tc.wantClose)
			}
			sent := int64(len(req))
			if !resp.Close {
				next := "GET /b HTTP/1.1\r\nHost: s3\r\nConnection: close\r\n\r\n"
				sent += int64(len(next))
				if _, err := io.WriteString(c, next); err != nil {
					t.Fatalf("second request: %v", err)
				}
				resp2, err := http.ReadResponse(br, nil)
				if err != nil || resp2.StatusCode != 403 {
					t.Fatalf("second request on the kept connection: %v", err)
				}
				_, _ = io.Copy(io.Discard, resp2.Body)
			}
			if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
				t.Errorf("after the answer: %q %v, want the connection closed cleanly", rest, err)
			}
			total := int64(len(fmt.Sprintf("PUT /b/k HTTP/1.1\r\nHost: s3\r\nContent-Length: %d\r\n%s\r\n", first+tc.rest, tc.header))) + int64(first+tc.rest)
			if !resp.Close {
				total = sent
			}
			select {
			case read := <-ln.closed:
				if (read >= total) != tc.wantAll {
					t.Errorf("the server read %d of the %d bytes of the request before closing; want all read: %v", read, total, tc.wantAll)
				}
			case <-time.After(20 * time.Second): // a failsafe, not an assertion
				t.Error("the server did not close the connection")
			}
		})
	}
}
