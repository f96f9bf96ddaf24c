package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

// slowRequest opens a connection and sends the headers of a POST that
// declares a body of declared bytes, and the first sent bytes of it; it
// never sends the rest. The connection closes when the test ends.
func slowRequest(t *testing.T, addr string, declared, sent int) net.Conn {
	t.Helper()
	return slowRequestFrom(t, "", addr, declared, sent)
}

// slowRequestFrom is slowRequest from the local address from (any when
// empty). On Linux all of 127.0.0.0/8 is loopback, so 127.0.0.2 and
// 127.0.0.3 are two sources on one machine.
func slowRequestFrom(t *testing.T, from, addr string, declared, sent int) net.Conn {
	t.Helper()
	c, err := dialerFrom(from).Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", declared)
	if _, err := c.Write(bytes.Repeat([]byte("a"), sent)); err != nil {
		t.Fatal(err)
	}
	return c
}

// dialerFrom dials from the local address from (any when empty).
func dialerFrom(from string) *net.Dialer {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	return d
}

// clientFrom is an HTTP client whose connections come from the local
// address from; its idle connections close when the test ends.
func clientFrom(t *testing.T, from string) *http.Client {
	tr := &http.Transport{DialContext: dialerFrom(from).DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// postFrom posts an empty body to url from the local address from, and
// returns the response and its body.
func postFrom(t *testing.T, from, url string) (*http.Response, string) {
	t.Helper()
	c := clientFrom(t, from)
	resp, err := c.Post(url, "text/plain", nil)
	if err != nil {
		t.Fatalf("POST from %s: %v", from, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	c.CloseIdleConnections()
	return resp, string(b)
}

// wantClosed checks that the server closed c without answering.
func wantClosed(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("a connection past the limit read %d bytes; want it closed", n)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("a connection past the limit is left open; want it closed")
	}
}

// wantOverloaded checks a 503 ServiceUnavailable answer to a request the
// server had no room for: Retry-After, and the connection closed.
func wantOverloaded(t *testing.T, resp *http.Response, body string) {
	t.Helper()
	e := parseError(t, body)
	want := xmlError{Type: "Receiver", Code: "ServiceUnavailable", Message: msgOverloaded, RequestID: resp.Header.Get(HeaderRequestID)}
	if diff := cmp.Diff(want, e); diff != "" || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status %d, error response (-want +got):\n%s", resp.StatusCode, diff)
	}
	if got := resp.Header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q; want 1", got)
	}
	if !resp.Close {
		t.Errorf("the connection stays open; want Connection: close")
	}
}

func TestMaxInFlight(t *testing.T) {
	b := newBlocking()
	r := start(t, Config{MaxInFlight: 2}, b)
	// Two requests wait in the handler; a third is refused at once.
	done := make(chan int, 2)
	for range 2 {
		go func() {
			resp, err := r.client.Post(r.url+"/", "text/plain", nil)
			if err == nil {
				resp.Body.Close()
				done <- resp.StatusCode
				return
			}
			done <- 0
		}()
		<-b.entered
	}
	resp, body := r.do(t, http.MethodPost, "/", nil, nil)
	wantOverloaded(t, resp, body)
	if got := metricValue(t, r.reg, "brevet_overload_refusals_total", map[string]string{"limit": "in_flight"}); got != 1 {
		t.Errorf("brevet_overload_refusals_total{limit=in_flight} = %v; want 1", got)
	}
	close(b.release)
	for range 2 {
		if got := <-done; got != http.StatusOK {
			t.Errorf("a request within the limit got %d; want 200", got)
		}
	}
	// Room again.
	go func() { <-b.entered }()
	if resp, _ := r.do(t, http.MethodPost, "/", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("after the others finished: status %d; want 200", resp.StatusCode)
	}
}

func TestMaxConnections(t *testing.T) {
	r := start(t, Config{MaxConnections: 2}, echoID)
	held := []net.Conn{slowRequest(t, r.addr, 100, 1), slowRequest(t, r.addr, 100, 1)}
	waitFor(t, "two connections open", func() bool { return r.srv.limits.conns.Load() == 2 })

	// A third is closed as soon as it is accepted.
	c, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wantClosed(t, c)
	if got := metricValue(t, r.reg, "brevet_overload_refusals_total", map[string]string{"limit": "connections"}); got != 1 {
		t.Errorf("brevet_overload_refusals_total{limit=connections} = %v; want 1", got)
	}

	// Once one closes, its place is free.
	held[0].Close()
	waitFor(t, "the connection's place given back", func() bool { return r.srv.limits.conns.Load() == 1 })
	if resp, _ := r.do(t, http.MethodGet, "/", nil, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("after a connection closed: status %d; want 200", resp.StatusCode)
	}
}

// TestMaxConnectionsPerSource: one source holding its bound of
// connections has its next one closed, while another source connects and
// is served; the counts go when the connections do.
func TestMaxConnectionsPerSource(t *testing.T) {
	r := start(t, Config{MaxConnectionsPerSource: 2}, echoID)
	held := []net.Conn{slowRequestFrom(t, "127.0.0.2", r.addr, 100, 1), slowRequestFrom(t, "127.0.0.2", r.addr, 100, 1)}
	waitFor(t, "two connections open", func() bool { return r.srv.limits.conns.Load() == 2 })

	c, err := dialerFrom("127.0.0.2").Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wantClosed(t, c)
	if got := metricValue(t, r.reg, "brevet_overload_refusals_total", map[string]string{"limit": "connections_per_source"}); got != 1 {
		t.Errorf("brevet_overload_refusals_total{limit=connections_per_source} = %v; want 1", got)
	}
	if got := r.srv.limits.conns.Load(); got != 2 {
		t.Errorf("open connections after the refusal = %d; want 2", got)
	}

	// Another source is served, twice at once.
	other := slowRequestFrom(t, "127.0.0.3", r.addr, 100, 1)
	if resp, body := postFrom(t, "127.0.0.3", r.url+"/"); resp.StatusCode != http.StatusOK {
		t.Errorf("another source: status %d %q; want 200", resp.StatusCode, body)
	}

	// Once one closes, the source has a place again; once all close,
	// no source is counted.
	held[0].Close()
	waitFor(t, "the connection's place given back", func() bool { return r.srv.limits.conns.Load() == 2 })
	if resp, body := postFrom(t, "127.0.0.2", r.url+"/"); resp.StatusCode != http.StatusOK {
		t.Errorf("after a connection closed: status %d %q; want 200", resp.StatusCode, body)
	}
	held[1].Close()
	other.Close()
	waitFor(t, "every connection closed", func() bool { return r.srv.limits.conns.Load() == 0 })
	if got := r.srv.limits.connsBySource.sources(); got != 0 {
		t.Errorf("sources counted with no connection open = %d; want 0", got)
	}
}

// TestMaxInFlightPerSource: one source with its bound of requests in the
// handler has its next one answered 503, while another source's request
// is served; the counts go when the requests finish.
func TestMaxInFlightPerSource(t *testing.T) {
	b := newBlocking()
	r := start(t, Config{MaxInFlightPerSource: 2}, b)
	done := make(chan int, 3)
	post := func(from string) {
		resp, err := clientFrom(t, from).Post(r.url+"/", "text/plain", nil)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}
	for range 2 {
		go post("127.0.0.2")
		<-b.entered
	}
	resp, body := postFrom(t, "127.0.0.2", r.url+"/")
	wantOverloaded(t, resp, body)
	if got := metricValue(t, r.reg, "brevet_overload_refusals_total", map[string]string{"limit": "in_flight_per_source"}); got != 1 {
		t.Errorf("brevet_overload_refusals_total{limit=in_flight_per_source} = %v; want 1", got)
	}
	// Another source's request reaches the handler.
	go post("127.0.0.3")
	select {
	case <-b.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("another source's request did not reach the handler")
	}
	if got := r.srv.limits.inFlightBySource.sources(); got != 2 {
		t.Errorf("sources counted with requests in flight = %d; want 2", got)
	}
	close(b.release)
	for range 3 {
		if got := <-done; got != http.StatusOK {
			t.Errorf("a request within the limit got %d; want 200", got)
		}
	}
	if got := r.srv.limits.inFlightBySource.sources(); got != 0 {
		t.Errorf("sources counted with no request in flight = %d; want 0", got)
	}
	// Room again for the first source.
	go func() { <-b.entered }()
	if resp, body := postFrom(t, "127.0.0.2", r.url+"/"); resp.StatusCode != http.StatusOK {
		t.Errorf("after its requests finished: status %d %q; want 200", resp.StatusCode, body)
	}
}

func TestSourceCounts(t *testing.T) {
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::")
	type step struct {
		release bool
		src     netip.Addr
		want    bool // acquire's answer
	}
	tests := []struct {
		name        string
		steps       []step
		wantSources int
	}{
		{name: "up to the bound", steps: []step{{src: a, want: true}, {src: a, want: true}, {src: a, want: false}, {src: b, want: true}}, wantSources: 2},
		{name: "released", steps: []step{{src: a, want: true}, {src: b, want: true}, {release: true, src: a}, {release: true, src: b}}, wantSources: 0},
		{name: "room after a release", steps: []step{{src: a, want: true}, {src: a, want: true}, {release: true, src: a}, {src: a, want: true}, {src: a, want: false}}, wantSources: 1},
		{name: "a refusal counts nothing", steps: []step{{src: a, want: true}, {src: a, want: true}, {src: a, want: false}, {release: true, src: a}, {release: true, src: a}}, wantSources: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c sourceCounts
			for i, s := range tt.steps {
				if s.release {
					c.release(s.src)
				} else if got := c.acquire(s.src, 2); got != s.want {
					t.Errorf("step %d: acquire(%v) = %v; want %v", i, s.src, got, s.want)
				}
			}
			if got := c.sources(); got != tt.wantSources {
				t.Errorf("sources = %d; want %d", got, tt.wantSources)
			}
		})
	}
}

func TestSource(t *testing.T) {
	tests := []struct {
		remoteAddr string
		want       string // "" when not counted per source
	}{
		{"192.0.2.1:443", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:443", "192.0.2.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::"},
		{"[2001:db8:1:2::ffff]:80", "2001:db8:1:2::"},
		{"[2001:db8:1:3::1]:80", "2001:db8:1:3::"},
		{"[fe80::1%eth0]:80", "fe80::"},
		{"[::1]:80", "::"},
		{"pipe", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := requestSource(tt.remoteAddr)
		if g := got.String(); !ok && tt.want != "" || ok && g != tt.want {
			t.Errorf("requestSource(%q) = %v, %v; want %q", tt.remoteAddr, got, ok, tt.want)
		}
	}
	if got, ok := connSource(&net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 1}); !ok || got.String() != "192.0.2.7" {
		t.Errorf("connSource(TCP 192.0.2.7) = %v, %v; want 192.0.2.7", got, ok)
	}
	if got, ok := connSource(&net.UnixAddr{Name: "@", Net: "unix"}); ok {
		t.Errorf("connSource(unix) = %v, true; want not counted", got)
	}
}

// TestBodyMemory holds bodies that never finish: the server holds what
// arrived, not what was declared, and refuses a body that would take the
// budget past its bound.
func TestBodyMemory(t *testing.T) {
	r := start(t, Config{BodyMemory: 48 << 10, MaxRequestBody: 1 << 20}, echoID)
	// Declaring 1 MiB and sending 10 bytes makes the server hold one
	// step (16 KiB), not 1 MiB.
	slowRequest(t, r.addr, 1<<20, 10)
	waitFor(t, "the first step reserved", func() bool { return r.srv.limits.body.used.Load() == firstBodyStep })
	// 20 KiB sent: 16 KiB, then 32 KiB held; 48 KiB with the first.
	slowRequest(t, r.addr, 1<<20, 20<<10)
	waitFor(t, "the second body's steps reserved", func() bool { return r.srv.limits.body.used.Load() == 48<<10 })

	// No room for a third body.
	resp, body := r.do(t, http.MethodPost, "/", strings.NewReader("Action=GetCallerIdentity"), nil)
	wantOverloaded(t, resp, body)
	if got := metricValue(t, r.reg, "brevet_overload_refusals_total", map[string]string{"limit": "body_memory"}); got != 1 {
		t.Errorf("brevet_overload_refusals_total{limit=body_memory} = %v; want 1", got)
	}
	if got := r.srv.limits.body.used.Load(); got != 48<<10 {
		t.Errorf("body memory in use after the refusal = %d; want %d", got, 48<<10)
	}
}

func TestBodyMemoryReleased(t *testing.T) {
	r := start(t, Config{BodyMemory: 64 << 10}, echoID)
	for range 10 { // more than the budget in total, one at a time
		if resp, _ := r.do(t, http.MethodPost, "/", bytes.NewReader(make([]byte, 40<<10)), nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d; want 200", resp.StatusCode)
		}
	}
	if got := r.srv.limits.body.used.Load(); got != 0 {
		t.Errorf("body memory in use with no request = %d; want 0", got)
	}
}

func TestReadBody(t *testing.T) {
	tests := []struct {
		name         string
		body         string
		declared     int64
		budget       int64
		want         string
		wantErr      error
		wantReserved int64
	}{
		{name: "declared", body: "abc", declared: 3, want: "abc", wantReserved: 3},
		{name: "empty", body: "", declared: 0, want: "", wantReserved: 0},
		{name: "chunked", body: "abcdef", declared: -1, want: "abcdef", wantReserved: 101},
		{name: "chunked over the limit", body: strings.Repeat("x", 101), declared: -1, wantErr: errBodyTooLarge, wantReserved: 101},
		{name: "short", body: "ab", declared: 3, wantErr: io.ErrUnexpectedEOF, wantReserved: 3},
		{name: "over budget", body: "abcdef", declared: 6, budget: 5, wantErr: errBodyBudget, wantReserved: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			budget := &byteBudget{max: tt.budget}
			got, reserved, err := readBody(bufio.NewReader(strings.NewReader(tt.body)), tt.declared, 100, budget)
			if err != tt.wantErr || reserved != tt.wantReserved || budget.used.Load() != reserved {
				t.Fatalf("readBody = _, %d, %v (budget used %d); want %d, %v", reserved, err, budget.used.Load(), tt.wantReserved, tt.wantErr)
			}
			if err == nil && string(got) != tt.want {
				t.Errorf("body = %q; want %q", got, tt.want)
			}
		})
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// BenchmarkLimitInFlight is what the in-flight middleware adds to a
// request: nothing when off, an atomic counter for the total bound, a
// map entry under a mutex for the per-source bound (serially, and from
// every core at once with requests from 256 sources).
func BenchmarkLimitInFlight(b *testing.B) {
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	for _, bm := range []struct {
		name     string
		cfg      Config
		parallel bool
	}{
		{name: "off", cfg: Config{}},
		{name: "total", cfg: Config{MaxInFlight: 1024}},
		{name: "total+per_source", cfg: Config{MaxInFlight: 1024, MaxInFlightPerSource: 64}},
		{name: "total+per_source/parallel", cfg: Config{MaxInFlight: 1024, MaxInFlightPerSource: 64}, parallel: true},
		{name: "total+per_source/parallel_ipv6", cfg: Config{MaxInFlight: 1024, MaxInFlightPerSource: 64}, parallel: true},
	} {
		b.Run(bm.name, func(b *testing.B) {
			srv, err := New(bm.cfg, WithAPI(noop), WithRegistry(prometheus.NewRegistry()))
			if err != nil {
				b.Fatal(err)
			}
			h := srv.limitInFlight(noop)
			reqs := make([]*http.Request, 256)
			for i := range reqs {
				reqs[i], _ = http.NewRequest(http.MethodPost, "http://127.0.0.1/", nil)
				reqs[i].RemoteAddr = fmt.Sprintf("192.0.2.%d:%d", i, 40000+i)
				if strings.HasSuffix(bm.name, "ipv6") {
					reqs[i].RemoteAddr = fmt.Sprintf("[2001:db8:0:%x::1]:%d", i, 40000+i)
				}
			}
			b.ReportAllocs()
			if !bm.parallel {
				for b.Loop() {
					h.ServeHTTP(nil, reqs[0])
				}
				return
			}
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				r := reqs[next.Add(1)%int64(len(reqs))]
				for pb.Next() {
					h.ServeHTTP(nil, r)
				}
			})
		})
	}
}

// TestPark: a request parked in a long poll takes no place among the
// requests in flight, overall or from its source, so that others are
// served; once resumed it is counted again, and the counts go when it
// finishes.
func TestPark(t *testing.T) {
	parked, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/park" {
			resume := Park(r.Context())
			parked <- struct{}{}
			<-release
			resume()
		}
		_, _ = io.WriteString(w, "ok")
	})
	r := start(t, Config{MaxInFlight: 1, MaxInFlightPerSource: 1}, h)
	done := make(chan int, 1)
	go func() {
		resp, err := clientFrom(t, "127.0.0.2").Post(r.url+"/park", "text/plain", nil)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-parked
	for _, from := range []string{"127.0.0.2", "127.0.0.3"} {
		if resp, body := postFrom(t, from, r.url+"/"); resp.StatusCode != http.StatusOK {
			t.Errorf("from %s while a request is parked: %d %s; want 200", from, resp.StatusCode, body)
		}
	}
	close(release)
	if got := <-done; got != http.StatusOK {
		t.Errorf("the parked request: %d; want 200", got)
	}
	// (The counts go just after the response is written.)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if r.srv.limits.inFlight.Load() == 0 && r.srv.limits.inFlightBySource.sources() == 0 {
			return
		}
	}
	t.Errorf("after every request finished: %d in flight from %d sources; want none",
		r.srv.limits.inFlight.Load(), r.srv.limits.inFlightBySource.sources())
}
