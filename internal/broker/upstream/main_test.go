package upstream

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/brevet-dev/brevet/internal/mototest"
)

// moto is the test binary's moto_server, shared by the tests; it
// accepts any key.
var moto mototest.Server

func TestMain(m *testing.M) {
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// action is what the fault proxy does with one request.
type action struct {
	kind    fault
	status  int    // answer: the HTTP status
	code    string // answer: the AWS error code
	message string // answer: the error message
}

type fault int

const (
	forward fault = iota // to moto, and its answer back
	hang                 // read the request, never answer
	reset                // begin the answer, then reset the connection
	answer               // an AWS query-protocol error
)

// proxy is a fault-injecting HTTP proxy in front of moto, over raw TCP
// so that it can hang and reset: plan says what to do with the n-th
// request (n from 1); it counts the requests (the SDK's attempts).
type proxy struct {
	URL    string
	target string
	plan   func(n int) action
	ln     net.Listener
	done   chan struct{}

	mu       sync.Mutex
	n        int
	lastAuth string // the last request's Authorization header
	conns    []net.Conn
}

func newProxy(t testing.TB, target string, plan func(n int) action) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{URL: "http://" + ln.Addr().String(), target: target, plan: plan, ln: ln, done: make(chan struct{})}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) close() {
	close(p.done)
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// attempts is the number of requests the proxy read.
func (p *proxy) attempts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

func (p *proxy) auth() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastAuth
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		go p.handle(c)
	}
}

func (p *proxy) handle(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.n++
		n := p.n
		p.lastAuth = req.Header.Get("Authorization")
		p.mu.Unlock()
		a := p.plan(n)
		switch a.kind {
		case hang:
			<-p.done
			return
		case reset:
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n")
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			return
		case answer:
			xml := fmt.Sprintf(`<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>proxy-%d</RequestId></ErrorResponse>`, a.code, a.message, n)
			fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Type: text/xml\r\nX-Amzn-Requestid: proxy-%d\r\nContent-Length: %d\r\n\r\n%s",
				a.status, http.StatusText(a.status), n, len(xml), xml)
		default:
			if err := p.forward(c, req, body); err != nil {
				return
			}
		}
	}
}

func (p *proxy) forward(c net.Conn, req *http.Request, body []byte) error {
	out, err := http.NewRequest(req.Method, "http://"+p.target+req.RequestURI, bytes.NewReader(body))
	if err != nil {
		return err
	}
	out.Header = req.Header.Clone()
	out.Host = req.Host // as signed
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		b = awsErrorShape(b)
		resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		resp.Header.Del("Content-Length")
	}
	return resp.Write(c)
}

// awsErrorShape rewrites moto's Query errors (<ErrorResponse><Errors><Error>,
// EC2's shape) into STS's and IAM's (<ErrorResponse><Error>), which the
// SDK reads.
func awsErrorShape(b []byte) []byte {
	b = bytes.Replace(b, []byte("<Errors><Error>"), []byte("<Error>"), 1)
	return bytes.Replace(b, []byte("</Error></Errors>"), []byte("</Error>"), 1)
}

// always is a plan doing a to every request; first does a to the first n
// and forwards the rest.
func always(a action) func(int) action { return func(int) action { return a } }

func first(n int, a action) func(int) action {
	return func(i int) action {
		if i <= n {
			return a
		}
		return action{kind: forward}
	}
}

var throttling = action{kind: answer, status: 400, code: "Throttling", message: "Rate exceeded"}

func contains(s string, subs ...string) string {
	for _, x := range subs {
		if x != "" && strings.Contains(s, x) {
			return x
		}
	}
	return ""
}
