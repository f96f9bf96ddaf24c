package audit

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Filter selects events. Zero fields match everything; set fields must
// all match.
type Filter struct {
	// From and To bound eventTime: From ≤ t < To.
	From, To time.Time
	// PrincipalARN matches the caller's ARN or its session issuer's ARN
	// (so a role's ARN finds all its sessions).
	PrincipalARN string
	// AccessKeyID matches the key that signed the request or the key the
	// event issued.
	AccessKeyID string
	// IssuedBy is an eventID of an event that issued temporary
	// credentials: it matches every later event signed with those
	// credentials, and with credentials issued in turn by such an event
	// (role chaining).
	IssuedBy string
	// Category keeps only events of that eventCategory: Management or
	// Data (case-insensitive).
	Category  string
	EventName string
	ErrorCode string
	SourceIP  string
	// Account, when set, keeps only events of that account: those it
	// received (recipientAccountId) or its principals made. LookupEvents
	// sets it to the caller's account, as CloudTrail shows an account only
	// its own events.
	Account string
	// Upstream keeps only brokered events (additionalEventData.upstream)
	// of that upstream account id, or of any upstream with UpstreamAny.
	Upstream string
	// SourceIdentity matches the upstream session's source identity or
	// the caller's own session source identity.
	SourceIdentity string
	// Match, when set, is one more predicate (LookupEvents' attributes).
	Match func(*Event) bool
}

// UpstreamAny is Filter.Upstream for events of any upstream account.
const UpstreamAny = "any"

// ErrEventNotFound is returned when Filter.IssuedBy names no event, or one
// that issued no credentials.
var ErrEventNotFound = errors.New("audit: no event with that id issued credentials")

// Search calls fn for each matching event of the trail in dir, oldest
// first. It reads the whole trail; an index comes with the database sink.
func Search(dir string, f Filter, fn func(seq uint64, e *Event) error) error {
	return SearchWalk(func(fn func(uint64, *Event) error) error { return WalkEvents(dir, fn) }, f, fn)
}

// SearchWalk is Search over a trail stored elsewhere (a database): walk
// calls its argument for every event in chain order.
func SearchWalk(walk func(fn func(seq uint64, e *Event) error) error, f Filter, fn func(seq uint64, e *Event) error) error {
	keys := map[string]bool{}
	issuerSeen := false
	err := walk(func(seq uint64, e *Event) error {
		if f.IssuedBy != "" {
			if e.EventID == f.IssuedBy {
				if k := e.IssuedAccessKeyID(); k != "" {
					keys[k], issuerSeen = true, true
				}
				return nil
			}
			if !keys[e.UserIdentity.AccessKeyID] {
				return nil
			}
			if k := e.IssuedAccessKeyID(); k != "" {
				keys[k] = true
			}
		}
		if f.Matches(e) {
			return fn(seq, e)
		}
		return nil
	})
	if err == nil && f.IssuedBy != "" && !issuerSeen {
		return fmt.Errorf("%w: %s", ErrEventNotFound, f.IssuedBy)
	}
	return err
}

// Matches reports whether e passes every field of f except IssuedBy,
// which needs the trail's history (Search applies it).
func (f *Filter) Matches(e *Event) bool {
	if !f.From.IsZero() || !f.To.IsZero() {
		t := e.Time()
		if t.Before(f.From) || (!f.To.IsZero() && !t.Before(f.To)) {
			return false
		}
	}
	u := &e.UserIdentity
	if f.Account != "" && e.RecipientAccountID != f.Account && u.AccountID != f.Account {
		return false
	}
	if f.PrincipalARN != "" && u.ARN != f.PrincipalARN &&
		(u.SessionContext == nil || u.SessionContext.SessionIssuer == nil || u.SessionContext.SessionIssuer.ARN != f.PrincipalARN) {
		return false
	}
	if f.AccessKeyID != "" && u.AccessKeyID != f.AccessKeyID && e.IssuedAccessKeyID() != f.AccessKeyID {
		return false
	}
	if (f.Upstream != "" || f.SourceIdentity != "") && !f.matchesUpstream(e) {
		return false
	}
	switch {
	case f.EventName != "" && e.EventName != f.EventName,
		f.ErrorCode != "" && e.ErrorCode != f.ErrorCode,
		f.Category != "" && !strings.EqualFold(e.EventCategory, f.Category),
		f.SourceIP != "" && e.SourceIPAddress != f.SourceIP,
		f.Match != nil && !f.Match(e):
		return false
	}
	return true
}

// matchesUpstream applies Upstream and SourceIdentity.
func (f *Filter) matchesUpstream(e *Event) bool {
	var up *Upstream
	if e.AdditionalEventData != nil {
		up = e.AdditionalEventData.Upstream
	}
	if f.Upstream != "" && (up == nil || (f.Upstream != UpstreamAny && up.AccountID != f.Upstream)) {
		return false
	}
	if f.SourceIdentity == "" {
		return true
	}
	if up != nil && up.SourceIdentity == f.SourceIdentity {
		return true
	}
	sc := e.UserIdentity.SessionContext
	return sc != nil && sc.SourceIdentity == f.SourceIdentity
}
