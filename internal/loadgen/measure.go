package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"
)

// Target is a server under test: where to send requests and which
// process to account CPU time and memory to.
type Target struct {
	// Name labels the target in reports ("trivial", "brevet").
	Name string
	// URL is its endpoint.
	URL string
	// URLs are more endpoints of the same service (the other nodes of a
	// cluster); workers are spread over URL and URLs round robin.
	URLs []string
	// PID is the server process; 0 means "unknown", and the phase then
	// reports no server CPU or RSS.
	PID int
	// NewClient, when not nil, makes the client of a phase against this
	// target for concurrency workers (e.g. NewMTLSClient, for a listener
	// that wants a client certificate); nil means NewClient.
	NewClient func(concurrency int) *http.Client
	// TLS, when not nil, counts the TLS sessions of the phases against
	// this target: Measure records in the Phase how many responses of
	// the measured run came over TLS, and how many on a resumed session.
	TLS *TLSCounter
}

// Phase is one measured run: one target, one workload, one concurrency.
type Phase struct {
	Target      string
	Action      string
	Concurrency int
	// Round numbers repetitions of the same phase (from 0), so that each
	// is compared with the trivial handler's phase of the same round.
	Round  int
	Result *Result
	// ServerCPU and GeneratorCPU are the CPU time (user+system) the
	// server process and this process spent during the measured run.
	ServerCPU    time.Duration
	GeneratorCPU time.Duration
	// ServerRSSBefore and ServerRSSAfter are the server's resident set
	// size, in bytes, before the warm-up and after the run.
	ServerRSSBefore int64
	ServerRSSAfter  int64
	// ServerRSS samples the server's RSS every RSSInterval during the
	// measured run: over a long phase, a series that levels off is a
	// heap that found its size, one that keeps climbing is a leak.
	ServerRSS []int64
	// TLSResponses and TLSResumed count, when the phase's client counted
	// them (TLSCounter), the responses received over TLS during the
	// measured run and how many of them on a resumed session.
	TLSResponses, TLSResumed uint64
}

// RSSInterval is how often Measure samples the server's RSS.
const RSSInterval = time.Second

// ServerCPUPerOp is the server's CPU time per successful request.
func (p *Phase) ServerCPUPerOp() time.Duration { return perOp(p.ServerCPU, p.Result.Ops) }

// GeneratorCPUPerOp is this process's CPU time per successful request:
// what signing and the HTTP client cost.
func (p *Phase) GeneratorCPUPerOp() time.Duration { return perOp(p.GeneratorCPU, p.Result.Ops) }

func perOp(d time.Duration, ops uint64) time.Duration {
	if ops == 0 {
		return 0
	}
	return d / time.Duration(ops)
}

// Measure runs w against t at concurrency c: a warm-up run whose results
// are dropped (connections opened, caches and the Go runtime warmed),
// then the measured run on the same connections, with the server's and
// the generator's CPU time read from /proc just before and just after it.
//
// cfg supplies the region, credentials, warm-up and duration; its URL,
// Concurrency and Client are set here (the Client by t.NewClient when it
// has one).
func Measure(ctx context.Context, t Target, w Workload, c int, warmup time.Duration, cfg Config) (*Phase, error) {
	cfg.URL, cfg.URLs, cfg.Concurrency = t.URL, t.URLs, c
	if t.NewClient != nil {
		cfg.Client = t.NewClient(c)
	} else {
		cfg.Client = NewClient(c)
	}
	if t.TLS != nil {
		t.TLS.Wrap(cfg.Client)
	}
	defer cfg.Client.CloseIdleConnections()
	p := &Phase{Target: t.Name, Action: w.Action, Concurrency: c}
	server := func() (ProcSample, error) {
		if t.PID == 0 { // a remote server: nothing to read
			return ProcSample{}, nil
		}
		return ReadProc(t.PID)
	}
	self := os.Getpid()
	srv0, err := server()
	if err != nil {
		return nil, err
	}
	p.ServerRSSBefore = srv0.RSS
	if warmup > 0 {
		wcfg := cfg
		wcfg.Duration = warmup
		if _, err := Run(ctx, wcfg, w); err != nil {
			return nil, err
		}
	}
	srv1, err1 := server()
	gen1, err2 := ReadProc(self)
	var tls1, resumed1 uint64
	if t.TLS != nil {
		tls1, resumed1 = t.TLS.Counts()
	}
	stopRSS := make(chan struct{})
	rssDone := make(chan []int64)
	go func() { rssDone <- sampleRSS(t.PID, stopRSS) }()
	res, err := Run(ctx, cfg, w)
	close(stopRSS)
	p.ServerRSS = <-rssDone
	if err != nil {
		return nil, err
	}
	srv2, err3 := server()
	gen2, err4 := ReadProc(self)
	if t.TLS != nil {
		tls2, resumed2 := t.TLS.Counts()
		p.TLSResponses, p.TLSResumed = tls2-tls1, resumed2-resumed1
	}
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return nil, fmt.Errorf("loadgen: %s %s c%d: %w", t.Name, w.Action, c, err)
		}
	}
	p.Result = res
	p.ServerCPU = srv2.CPU - srv1.CPU
	p.GeneratorCPU = gen2.CPU - gen1.CPU
	p.ServerRSSAfter = srv2.RSS
	return p, nil
}

// sampleRSS reads pid's RSS every RSSInterval until stop is closed.
func sampleRSS(pid int, stop <-chan struct{}) []int64 {
	return sampleRSSEvery(pid, RSSInterval, stop)
}

// sampleRSSEvery reads pid's RSS every interval until stop is closed.
func sampleRSSEvery(pid int, interval time.Duration, stop <-chan struct{}) []int64 {
	var out []int64
	if pid == 0 {
		<-stop
		return nil
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return out
		case <-tick.C:
			if s, err := ReadProc(pid); err == nil {
				out = append(out, s.RSS)
			}
		}
	}
}
