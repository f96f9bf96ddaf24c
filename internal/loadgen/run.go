package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brevet-dev/brevet/internal/sigv4"
)

// Workload says what each request of a run is: one action, its form body
// per request, and what a successful response must contain. A workload
// with a Method is a REST request instead (S3): the same Method, Path and
// Body every time, signed as S3 signs.
type Workload struct {
	// Action names the workload in reports, e.g. "AssumeRole".
	Action string
	// Service is the SigV4 scope's service, "sts", "iam" or "s3".
	Service string
	// AppendBody appends the form-encoded body of worker's seq-th
	// request to b. It runs on every request, so keep it cheap. A REST
	// workload has none.
	AppendBody func(b []byte, worker int, seq uint64) []byte
	// Method, when set, makes this a REST workload: Method (GET, PUT …)
	// to the endpoint's URL with Path appended, carrying Body, signed
	// with S3's rules (no path normalisation, the payload hash in
	// x-amz-content-sha256) instead of a form POSTed to the endpoint.
	Method string
	// Path is a REST workload's escaped path, e.g. "/bench/obj-1k".
	Path string
	// Body is a REST workload's fixed body (nil for none), and
	// PayloadHash its hex SHA-256 (computed once; "" hashes Body on
	// every request).
	Body        []byte
	PayloadHash string
	// Status, when not zero, is the status a successful response must
	// have; zero accepts any 2xx.
	Status int
	// Expect, when not nil, must occur in every 2xx response body; a
	// response without it counts as an error ("200 unexpected body").
	Expect []byte
	// Credentials, when not nil, sign this workload's requests instead
	// of Config.Credentials (e.g. temporary credentials, to measure
	// session-token authentication).
	Credentials *sigv4.Credentials
	// Build, when set, makes worker's seq-th request itself, to the
	// worker's endpoint, authenticated by other means than an access key
	// (SigV4-X509, a client certificate the Client presents): AppendBody,
	// Method, Path and Body are unused, and the request is sent as Build
	// returns it.
	Build func(ctx context.Context, endpoint string, worker int, seq uint64, now time.Time) (*http.Request, error)
	// Received, when set, sees the body of each of worker's successful
	// responses, before its next request is built: a workload whose next
	// request depends on the answer (a refresh token that rotates).
	Received func(worker int, body []byte)
	// Then, when set with Build, makes each op two requests: Build's,
	// then the one Then builds from the first's successful response body
	// (an identity id, say), sent by the same worker on the same
	// connections. The first response must contain ExpectFirst (when not
	// nil), the second Expect; the op succeeds when both do, and its
	// latency spans both.
	Then        func(ctx context.Context, endpoint string, worker int, seq uint64, first []byte, now time.Time) (*http.Request, error)
	ExpectFirst []byte
}

// Config is one run of a Workload against one endpoint.
type Config struct {
	// URL is the endpoint, e.g. "http://127.0.0.1:8787/".
	URL string
	// URLs are more endpoints (cluster nodes): worker i sends to the
	// (i mod n)-th of URL and URLs.
	URLs []string
	// Region is the SigV4 scope's region.
	Region string
	// Credentials sign every request.
	Credentials sigv4.Credentials
	// Concurrency is the number of workers, each with at most one
	// request in flight (a closed loop, as SDK clients behave).
	Concurrency int
	// Duration bounds the run: no request starts after it, and the run
	// ends when the requests in flight return.
	Duration time.Duration
	// MaxRequests, when positive, also bounds the number of requests.
	MaxRequests int64
	// Client sends the requests; nil means NewClient(Concurrency). Pass
	// the same client to a warm-up and the run after it to keep the
	// warm connections.
	Client *http.Client
	// Now gives the signing time and the clock for latencies; nil means
	// time.Now. Each request is signed with the time it is sent.
	Now func() time.Time
	// Rate, when positive, paces the run (an open loop): requests start
	// at Rate per second in all, each taken by an idle worker. When every
	// worker is busy the start is late, not dropped, and the latency is
	// measured from when the request is sent; Result.Late counts starts
	// that waited over a millisecond for a worker. Zero is a closed loop.
	Rate float64
}

// Result is what a run measured.
type Result struct {
	// Ops counts the requests that succeeded (2xx, expected body).
	Ops uint64
	// Errors counts the requests that did not; ErrorsBy breaks them down
	// by "STATUS Code" (e.g. "403 AccessDenied") or "transport: ...".
	Errors   uint64
	ErrorsBy map[string]uint64
	// Elapsed is the wall time from the first request's start to the
	// last response.
	Elapsed time.Duration
	// Latency holds the latency of every successful request, from just
	// before sending it (after signing) to the end of its response body.
	Latency *Histogram
	// Late counts, in a paced run (Config.Rate), the requests that
	// started over a millisecond after their slot because every worker
	// was busy: the server did not keep up with the rate.
	Late uint64
}

// OpsPerSecond is successful requests per second of Elapsed.
func (r *Result) OpsPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Elapsed.Seconds()
}

// NewClient returns an HTTP client for concurrency workers on one host:
// keep-alive on, an idle pool as large as the concurrency (the default
// of 2 per host would reopen connections under load, and measure TCP
// handshakes instead of the server), no proxy, no compression, no HTTP/2.
func NewClient(concurrency int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        2 * concurrency,
			MaxIdleConnsPerHost: 2 * concurrency,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		Timeout: 30 * time.Second,
	}
}

// Run drives cfg.URL with w until cfg.Duration has passed (or
// MaxRequests were sent, or ctx is done) and returns what it measured.
// It fails only when the configuration is unusable; request failures are
// counted in the Result.
func Run(ctx context.Context, cfg Config, w Workload) (*Result, error) {
	kinds := 0
	for _, set := range []bool{w.AppendBody != nil, w.Method != "", w.Build != nil} {
		if set {
			kinds++
		}
	}
	if cfg.Concurrency < 1 || cfg.Duration <= 0 || cfg.URL == "" || kinds != 1 {
		return nil, errors.New("loadgen: a run needs a URL, a workload, Concurrency ≥ 1 and Duration > 0")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if w.Credentials != nil {
		cfg.Credentials = *w.Credentials
	}
	if cfg.Client == nil {
		cfg.Client = NewClient(cfg.Concurrency)
		defer cfg.Client.CloseIdleConnections()
	}
	// Sign once up front, so that bad credentials or options fail the
	// run instead of every request.
	probe, err := http.NewRequest(http.MethodPost, cfg.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("loadgen: endpoint: %w", err)
	}
	if w.Build == nil {
		s := sigv4.Signer{Credentials: cfg.Credentials}
		if err := s.SignHTTP(probe, nil, sigv4.SignOptions{Region: cfg.Region, Service: w.Service, Time: cfg.Now()}); err != nil {
			return nil, fmt.Errorf("loadgen: %w", err)
		}
	} else if _, err := w.Build(ctx, cfg.URL, 0, 0, cfg.Now()); err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}

	var (
		wg      sync.WaitGroup
		sent    atomic.Int64
		workers = make([]*worker, cfg.Concurrency)
		start   = cfg.Now()
		end     = start.Add(cfg.Duration)
	)
	var p *pacer
	if cfg.Rate > 0 {
		p = &pacer{start: start, interval: time.Duration(float64(time.Second) / cfg.Rate), now: cfg.Now}
	}
	for i := range workers {
		workers[i] = &worker{id: i, cfg: &cfg, w: &w, url: endpointOf(&cfg, i), latency: NewHistogram(), errs: map[string]uint64{}, pace: p}
		if w.Method != "" {
			workers[i].restURL = restURL(workers[i].url, w.Path)
		}
		wg.Go(func() { workers[i].loop(ctx, end, &sent) })
	}
	wg.Wait()
	res := &Result{Elapsed: cfg.Now().Sub(start), Latency: NewHistogram(), ErrorsBy: map[string]uint64{}}
	if p != nil {
		res.Late = p.late.Load()
	}
	for _, wk := range workers {
		res.Ops += wk.ops
		res.Latency.Merge(wk.latency)
		for k, n := range wk.errs {
			res.Errors += n
			res.ErrorsBy[k] += n
		}
	}
	return res, nil
}

// endpointOf is worker i's endpoint.
func endpointOf(cfg *Config, i int) string {
	if n := len(cfg.URLs) + 1; i%n > 0 {
		return cfg.URLs[i%n-1]
	}
	return cfg.URL
}

// worker is one closed-loop client: its own signer, buffers and
// histogram, so that workers share nothing but the connection pool.
type worker struct {
	id      int
	cfg     *Config
	w       *Workload
	url     string
	restURL string // a REST workload's URL: url with the workload's path
	signer  sigv4.Signer
	resp    bytes.Buffer
	ops     uint64
	latency *Histogram
	errs    map[string]uint64
	pace    *pacer // nil: closed loop
}

// pacer hands out request start times at a fixed interval from start, in
// order, to whichever worker asks next.
type pacer struct {
	start    time.Time
	interval time.Duration
	now      func() time.Time
	next     atomic.Int64 // slots handed out
	late     atomic.Uint64
}

// wait blocks until the next slot's time (or ctx ends, or the slot falls
// after end) and reports whether to send.
func (p *pacer) wait(ctx context.Context, end time.Time) bool {
	at := p.start.Add(time.Duration(p.next.Add(1)-1) * p.interval)
	if !at.Before(end) {
		return false
	}
	d := at.Sub(p.now())
	if d < -time.Millisecond {
		p.late.Add(1)
	}
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// maxErrorKinds bounds ErrorsBy, since transport errors can carry
// addresses and ports that make every message different.
const maxErrorKinds = 16

func (wk *worker) loop(ctx context.Context, end time.Time, sent *atomic.Int64) {
	wk.signer = sigv4.Signer{Credentials: wk.cfg.Credentials}
	for seq := uint64(0); ctx.Err() == nil && wk.cfg.Now().Before(end); seq++ {
		if max := wk.cfg.MaxRequests; max > 0 && sent.Add(1) > max {
			return
		}
		if wk.pace != nil && !wk.pace.wait(ctx, end) {
			return
		}
		kind, took := wk.do(ctx, seq)
		switch {
		case kind == "":
			wk.ops++
			wk.latency.Record(took)
		case ctx.Err() != nil:
			return // cancelled, not a server error
		default:
			if _, ok := wk.errs[kind]; !ok && len(wk.errs) >= maxErrorKinds {
				kind = "other"
			}
			wk.errs[kind]++
			if took < time.Millisecond && !isStatusKind(kind) {
				// A refused connection fails at once; do not spin.
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
}

func isStatusKind(kind string) bool { return len(kind) >= 3 && kind[0] >= '1' && kind[0] <= '5' }

// do sends one freshly signed request and returns "" on success or the
// error kind, and the latency.
func (wk *worker) do(ctx context.Context, seq uint64) (kind string, took time.Duration) {
	if wk.w.Build != nil {
		req, err := wk.w.Build(ctx, wk.url, wk.id, seq, wk.cfg.Now())
		if err != nil {
			return "request: " + err.Error(), 0
		}
		if wk.w.Then != nil {
			return wk.sendPair(ctx, req, seq)
		}
		return wk.send(req, wk.cfg.Now())
	}
	if wk.w.Method != "" {
		return wk.doREST(ctx)
	}
	// A new body slice per request: the transport may still be reading
	// the previous one after its response arrived.
	body := wk.w.AppendBody(make([]byte, 0, 256), wk.id, seq)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wk.url, bytes.NewReader(body))
	if err != nil {
		return "request: " + err.Error(), 0
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	now := wk.cfg.Now()
	opts := sigv4.SignOptions{Region: wk.cfg.Region, Service: wk.w.Service, Time: now}
	if err := wk.signer.SignHTTP(req, body, opts); err != nil {
		return "sign: " + err.Error(), 0
	}
	start := wk.cfg.Now()
	return wk.send(req, start)
}

// sendPair sends first, then the request the workload's Then builds from
// its response: one op whose latency spans both.
func (wk *worker) sendPair(ctx context.Context, first *http.Request, seq uint64) (kind string, took time.Duration) {
	start := wk.cfg.Now()
	if kind, took = wk.receive(first, start, wk.w.ExpectFirst); kind != "" {
		return kind, took
	}
	req, err := wk.w.Then(ctx, wk.url, wk.id, seq, wk.resp.Bytes(), wk.cfg.Now())
	if err != nil {
		return "request: " + err.Error(), wk.cfg.Now().Sub(start)
	}
	if kind, took = wk.receive(req, start, wk.w.Expect); kind == "" && wk.w.Received != nil {
		wk.w.Received(wk.id, wk.resp.Bytes())
	}
	return kind, took
}

// send sends a signed request and reads its whole response.
func (wk *worker) send(req *http.Request, start time.Time) (kind string, took time.Duration) {
	if kind, took = wk.receive(req, start, wk.w.Expect); kind == "" && wk.w.Received != nil {
		wk.w.Received(wk.id, wk.resp.Bytes())
	}
	return kind, took
}

// receive sends req and reads its whole response into wk.resp: "" when it
// is a success whose body contains expect (when not nil), else the error
// kind; the latency is from start.
func (wk *worker) receive(req *http.Request, start time.Time, expect []byte) (kind string, took time.Duration) {
	resp, err := wk.cfg.Client.Do(req)
	if err != nil {
		return transportKind(err), wk.cfg.Now().Sub(start)
	}
	wk.resp.Reset()
	_, err = wk.resp.ReadFrom(resp.Body)
	resp.Body.Close()
	took = wk.cfg.Now().Sub(start)
	switch {
	case err != nil:
		return transportKind(err), took
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return strconv.Itoa(resp.StatusCode) + " " + errorCode(resp.Header, wk.resp.Bytes()), took
	case wk.w.Status != 0 && resp.StatusCode != wk.w.Status:
		return strconv.Itoa(resp.StatusCode) + " unexpected status", took
	case expect != nil && !bytes.Contains(wk.resp.Bytes(), expect):
		return strconv.Itoa(resp.StatusCode) + " unexpected body", took
	}
	return "", took
}

// doREST sends one freshly signed REST request: the workload's method,
// path and body, signed with S3's rules.
func (wk *worker) doREST(ctx context.Context) (kind string, took time.Duration) {
	var body io.Reader
	if wk.w.Body != nil {
		body = bytes.NewReader(wk.w.Body)
	}
	req, err := http.NewRequestWithContext(ctx, wk.w.Method, wk.restURL, body)
	if err != nil {
		return "request: " + err.Error(), 0
	}
	opts := sigv4.SignOptions{Region: wk.cfg.Region, Service: wk.w.Service, Time: wk.cfg.Now(),
		S3PathRules: true, ContentSHA256Header: true, PayloadHash: wk.w.PayloadHash}
	if err := wk.signer.SignHTTP(req, wk.w.Body, opts); err != nil {
		return "sign: " + err.Error(), 0
	}
	return wk.send(req, wk.cfg.Now())
}

// restURL is endpoint (ending in "/" or not) with path ("/bucket/key")
// appended.
func restURL(endpoint, path string) string {
	return strings.TrimSuffix(endpoint, "/") + path
}

func transportKind(err error) string {
	var op *net.OpError
	if errors.As(err, &op) {
		return "transport: " + op.Op + ": " + op.Err.Error()
	}
	msg := err.Error()
	if len(msg) > 80 {
		msg = msg[:80]
	}
	return "transport: " + msg
}

// errorCode returns an error response's code: the x-amzn-ErrorType
// header of a REST-JSON service (Roles Anywhere, IoT) or the <Code> of an
// AWS Query <ErrorResponse>, or "-".
func errorCode(h http.Header, body []byte) string {
	if code, _, _ := strings.Cut(h.Get("x-amzn-ErrorType"), ":"); code != "" && len(code) <= 64 {
		return code
	}
	_, rest, ok := bytes.Cut(body, []byte("<Code>"))
	if !ok {
		return "-"
	}
	code, _, ok := bytes.Cut(rest, []byte("</Code>"))
	if !ok || len(code) > 64 {
		return "-"
	}
	return string(code)
}
