package audit

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// AggregateConfig folds repeated unauthenticated failures into aggregate
// events, so that a flood of requests with bad signatures, unknown keys,
// malformed authorization or throttled before authentication cannot fill
// the disk one event per request. A request is such a failure when it
// failed (it has an error code) and names no principal: whatever its
// error code. Requests of a known principal, AccessDenied included, are
// never folded.
//
// Per (source IP, error code) and window, the first After failures are
// recorded in full, as any request; the rest are counted, and at the end
// of the window one event (eventName AggregatedFailures) records how many
// there were, when the first and last came, and a sample of their user
// agents and actions. Folded requests are refused without waiting for the
// disk: their count is made durable at the end of the window, so a crash
// loses at most the counts of the window in progress.
type AggregateConfig struct {
	// After is how many failures per source and error code a window
	// records in full: 5 when zero; negative turns folding off.
	After int
	// Window is how long counts are gathered before their aggregate event
	// is written: one minute when zero.
	Window time.Duration
	// MaxSources bounds the (source, error code) pairs tracked in a
	// window, so memory stays bounded whatever the number of sources;
	// past it, failures of new sources are folded at once into one
	// aggregate per error code whose sourceIPAddress is "various" (with a
	// sample of the sources). 10,000 when zero.
	MaxSources int
}

// Aggregate event names and source.
const (
	// BrevetEventSource is eventSource of the events Brevet writes about
	// its own trail (aggregates, pruning); they are AwsServiceEvent events.
	BrevetEventSource = "audit.brevet"
	// AggregatedFailuresEvent is eventName of an aggregate.
	AggregatedFailuresEvent = "AggregatedFailures"
	// variousSources is sourceIPAddress of an overflow aggregate.
	variousSources = "various"
	// sampleSize is how many distinct user agents, actions and sources an
	// aggregate keeps; sampleLen how much of each.
	sampleSize = 5
	sampleLen  = 256
)

// AggregatedFailures is additionalEventData.aggregatedFailures: what a
// window's folded failures from one source with one error code were.
type AggregatedFailures struct {
	// Count is how many requests were folded (not recorded in full).
	Count int `json:"count"`
	// RecordedInFull is how many of the window's failures from the
	// source with this code were recorded in full before folding began.
	RecordedInFull int    `json:"recordedInFull"`
	FirstTime      string `json:"firstTime"`
	LastTime       string `json:"lastTime"`
	WindowSeconds  int64  `json:"windowSeconds"`
	// UserAgents, EventNames and SourceIPs are samples (SourceIPs only
	// when sourceIPAddress is "various"). Never key material: a failed
	// request's record carries no access key id, and never a secret.
	UserAgents []string `json:"userAgents,omitempty"`
	EventNames []string `json:"eventNames,omitempty"`
	SourceIPs  []string `json:"sourceIPs,omitempty"`
}

type aggKey struct{ source, code string }

type aggEntry struct {
	seen        int // failures in the window, in full and folded
	folded      int
	first, last time.Time
	region      string
	agents      []string
	actions     []string
	sources     []string
}

// aggregator counts unauthenticated failures per window.
type aggregator struct {
	cfg  AggregateConfig
	mu   sync.Mutex
	keys map[aggKey]*aggEntry
	full int // keys other than overflow ones
}

func newAggregator(cfg AggregateConfig) *aggregator {
	if cfg.After < 0 {
		return nil
	}
	if cfg.After == 0 {
		cfg.After = 5
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Minute
	}
	if cfg.MaxSources <= 0 {
		cfg.MaxSources = 10000
	}
	return &aggregator{cfg: cfg, keys: map[aggKey]*aggEntry{}}
}

// unauthenticatedFailure reports whether rec may be folded.
func unauthenticatedFailure(rec *request.Record) bool {
	if rec.ErrorCode == "" {
		return false
	}
	switch p := rec.Principal.(type) {
	case nil:
		return true
	case *identity.Principal:
		return p == nil
	}
	return false
}

// fold counts rec; true when it was folded (the caller does not record it
// in full).
func (g *aggregator) fold(rec *request.Record, region string) bool {
	t := rec.Start.Add(rec.Duration)
	k := aggKey{rec.SourceIP, truncateString(rec.ErrorCode, maxStringField)}
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.keys[k]
	if e == nil {
		if g.full >= g.cfg.MaxSources {
			k.source = variousSources
			if e = g.keys[k]; e == nil {
				e = &aggEntry{seen: g.cfg.After}
				g.keys[k] = e
			}
		} else {
			e = &aggEntry{}
			g.keys[k] = e
			g.full++
		}
	}
	e.seen++
	if e.seen <= g.cfg.After {
		return false
	}
	if e.folded == 0 || t.Before(e.first) {
		e.first = t
	}
	if t.After(e.last) {
		e.last = t
	}
	e.folded++
	e.region = region
	e.agents = addSample(e.agents, rec.UserAgent)
	e.actions = addSample(e.actions, rec.Action)
	if k.source == variousSources {
		e.sources = addSample(e.sources, rec.SourceIP)
	}
	return true
}

func addSample(s []string, v string) []string {
	if v == "" || len(s) >= sampleSize {
		return s
	}
	v = truncateString(v, sampleLen)
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// take ends the window: it returns the aggregate events of the folded
// failures, in a stable order, and starts counting afresh.
func (g *aggregator) take(newID func() string) []*Event {
	g.mu.Lock()
	keys := g.keys
	g.keys, g.full = make(map[aggKey]*aggEntry, len(keys)), 0
	g.mu.Unlock()
	var evs []*Event
	for k, e := range keys {
		if e.folded == 0 {
			continue
		}
		evs = append(evs, g.event(k, e, newID()))
	}
	slices.SortFunc(evs, func(a, b *Event) int {
		if c := strings.Compare(a.SourceIPAddress, b.SourceIPAddress); c != 0 {
			return c
		}
		return strings.Compare(a.ErrorCode, b.ErrorCode)
	})
	return evs
}

func (g *aggregator) event(k aggKey, e *aggEntry, id string) *Event {
	full := g.cfg.After
	if k.source == variousSources {
		full = 0
	}
	agent := ""
	if len(e.agents) > 0 {
		agent = e.agents[0]
	}
	first, last := formatTime(e.first), formatTime(e.last)
	return &Event{
		EventVersion:    EventVersion,
		UserIdentity:    UserIdentity{Type: string(identity.Unknown)},
		EventTime:       last,
		EventSource:     BrevetEventSource,
		EventName:       AggregatedFailuresEvent,
		AWSRegion:       e.region,
		SourceIPAddress: k.source,
		UserAgent:       agent,
		ErrorCode:       k.code,
		ErrorMessage: fmt.Sprintf("%d further unauthenticated requests from %s failed with %s between %s and %s; "+
			"the first %d of the window were recorded in full", e.folded, k.source, k.code, first, last, full),
		EventID:         id,
		ReadOnly:        true,
		EventType:       "AwsServiceEvent",
		ManagementEvent: true,
		EventCategory:   "Management",
		AdditionalEventData: &AdditionalEventData{AggregatedFailures: &AggregatedFailures{
			Count: e.folded, RecordedInFull: full, FirstTime: first, LastTime: last,
			WindowSeconds: int64(g.cfg.Window / time.Second),
			UserAgents:    e.agents, EventNames: e.actions, SourceIPs: e.sources,
		}},
	}
}
