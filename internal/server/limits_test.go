package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// slowRequest opens a connection and sends the headers of a POST that
// declares a body of declared bytes, and the first sent bytes of it; it
// never sends the rest. The connection closes when the test ends.
func slowRequest(t *testing.T, addr string, declared, sent int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
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
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("a connection past the limit read %d bytes; want it closed", n)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("a connection past the limit is left open; want it closed")
	}
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
