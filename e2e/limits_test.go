package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// noRetries turns the SDK's retries off: it retries Throttling and 503s
// by default, which would hide the answers the tests look at.
func noRetries(c aws.Config) aws.Config {
	c.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	return c
}

// TestSDKSeesThrottling: the Go SDK reads the answer to a source over its
// failure budget as AWS's Throttling error, which its default retryer
// treats as a throttle (to back off and retry).
func TestSDKSeesThrottling(t *testing.T) {
	b := startBrevet(t, "--limit-failures-per-source", "1/m:2")
	id, _ := b.adminKey(t)
	client := sts.NewFromConfig(noRetries(b.goConfig(id, "wrong-secret-wrong-secret-wrong-secret-00", "")))
	ctx := context.Background()
	var codes []string
	var last error
	for range 3 {
		_, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			t.Fatalf("GetCallerIdentity: %v; want an API error", err)
		}
		codes = append(codes, ae.ErrorCode())
		last = err
	}
	if want := "SignatureDoesNotMatch,SignatureDoesNotMatch,Throttling"; strings.Join(codes, ",") != want {
		t.Fatalf("error codes %v; want %s", codes, want)
	}
	var ae smithy.APIError
	errors.As(last, &ae)
	if ae.ErrorMessage() != "Rate exceeded" {
		t.Errorf("Throttling message %q; want Rate exceeded", ae.ErrorMessage())
	}
	if got := retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(last); got != aws.TrueTernary {
		t.Errorf("the SDK's default retryer classifies the answer as throttle = %v; want true", got)
	}
	// The admin's own key, from the same source, is refused too: the
	// source is throttled before any signature is checked.
	if _, err := sts.NewFromConfig(noRetries(b.goAdmin(t))).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); !errors.As(err, &ae) || ae.ErrorCode() != "Throttling" {
		t.Errorf("a good signature from the throttled source: %v; want Throttling", err)
	}
}

// TestMemoryBoundedUnderSlowBodies opens 10,000 connections from 15
// source addresses (127.0.0.10 to 127.0.0.24), each of which sends the
// headers of a request declaring a 1 MiB body and 32 KiB of it, then
// nothing: the server's resident memory must stay under 256 MiB, and a
// signed request from another source (127.0.0.2) meanwhile is answered
// 200, because each flooding source is held to its own bounds of
// connections and requests in flight (the defaults, 256 and 64; 15 is the
// most sources whose bounds fit under the totals, 4,096 and 1,024). It
// takes about 4 s and needs 10,000 file descriptors in the test process:
// it skips when the limit is lower (and fails under CI). Run it alone:
//
//	go test ./e2e -run TestMemoryBoundedUnderSlowBodies -v
func TestMemoryBoundedUnderSlowBodies(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < 11_000 {
		need(t, "a file descriptor limit of 11,000 (ulimit -n)", false)
	}
	const (
		conns    = 10_000
		sources  = 15
		sent     = 32 << 10 // of each body
		rssBound = 256 << 20
	)
	b := startBrevet(t)
	addr := strings.TrimPrefix(b.URL, "http://")
	partial := []byte("POST / HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
		"Content-Length: 1048576\r\n\r\nAction=GetCallerIdentity&Version=2011-06-15&Pad=" + strings.Repeat("a", sent-48))
	held := make(chan net.Conn, conns)
	var wg sync.WaitGroup
	var failed sync.Map
	start := time.Now()
	for w := range 50 {
		wg.Go(func() {
			for i := w; i < conns; i += 50 {
				d := dialerFrom(fmt.Sprintf("127.0.0.%d", 10+i%sources))
				c, err := d.Dial("tcp", addr)
				if err != nil {
					failed.Store("dial: "+err.Error(), true)
					continue
				}
				held <- c
				_, _ = c.Write(partial) // a connection the server closed at once fails here: that is its answer
			}
		})
	}
	wg.Wait()
	close(held)
	var all []net.Conn
	for c := range held {
		all = append(all, c)
	}
	defer func() {
		for _, c := range all {
			c.Close()
		}
	}()
	failed.Range(func(k, _ any) bool { t.Logf("%v", k); return true })
	t.Logf("%d connections opened in %v", len(all), time.Since(start))

	peak := int64(0)
	for range 10 { // the server settles: bodies read, excess answered and closed
		peak = max(peak, vmRSS(t, b.cmd.Process.Pid))
		time.Sleep(100 * time.Millisecond)
	}
	// Another source is served while the slow bodies are held.
	other := &http.Client{Transport: &http.Transport{DialContext: dialerFrom("127.0.0.2").DialContext}, Timeout: 10 * time.Second}
	defer other.CloseIdleConnections()
	cfg := noRetries(b.goAdmin(t))
	cfg.HTTPClient = other
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("a signed request from another source during the flood: %v; want 200", err)
	}
	// Which per-source bound refuses first depends on timing: a busy
	// server answers the excess requests (and closes their connections)
	// before a source holds 256 connections, an idle one may not. Either
	// way the flooding sources must have been refused by their own
	// bounds, not by the totals.
	var perSource float64
	for _, limit := range []string{"connections_per_source", "in_flight_per_source"} {
		name := `brevet_overload_refusals_total{limit="` + limit + `"}`
		got := metricOver(t, other, b.URL, name)
		t.Logf("%s = %v", name, got)
		perSource += got
	}
	if perSource == 0 {
		t.Error("no refusal by a per-source bound; want the flooding sources refused")
	}
	peak = max(peak, vmRSS(t, b.cmd.Process.Pid))
	t.Logf("server VmRSS peak with %d slow connections: %.1f MiB (bound %d MiB)", len(all), float64(peak)/(1<<20), rssBound>>20)
	if peak > rssBound {
		t.Errorf("server VmRSS %.1f MiB; want under %d MiB", float64(peak)/(1<<20), rssBound>>20)
	}
}

// dialerFrom dials from the local address from: on Linux all of
// 127.0.0.0/8 is loopback, so each address is a source of its own.
func dialerFrom(from string) *net.Dialer {
	return &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
}

// vmRSS is the resident memory of process pid, from /proc.
func vmRSS(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/PID/status")
	return 0
}
