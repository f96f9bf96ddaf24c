package store

import (
	"context"
	"strings"
	"time"
)

// EventRecord is one row of the audit event index: the facts the console's
// audit explorer and LookupEvents filter on, and the event itself, for one
// account an event concerns (its recipient's, and its caller's when they
// differ). The trail stays the record; the index is written behind it
// (eventindex.Indexer, or the PostgreSQL sink's transaction) and can be
// rebuilt from it.
type EventRecord struct {
	// Key is the event's place in the trail: its sequence number in the
	// file trail, its id in the PostgreSQL trail. It orders events.
	Key     uint64
	Account string
	Time    time.Time // eventTime, second precision
	EventID string
	// Source and Name are eventSource and eventName.
	Source, Name string
	// PrincipalARN is userIdentity.arn; IssuerARN the session issuer's
	// (the role of an assumed-role session); Username LookupEvents'.
	PrincipalARN, IssuerARN, Username string
	// AccessKeyID signed the request; IssuedKeyID is the temporary
	// credential it issued, if any.
	AccessKeyID, IssuedKeyID string
	ErrorCode                string
	ReadOnly                 bool
	// Management is false for data events (S3 gateway, authorization
	// API), which LookupEvents does not return.
	Management bool
	// Event is the event's JSON as the trail holds it.
	Event []byte
}

// EventFilter selects indexed events. Account is required: an account
// sees only its own events. Zero fields select everything.
type EventFilter struct {
	Account string
	// From and To bound the event time: From <= t < To.
	From, To time.Time
	EventID  string
	Source   string
	Name     string
	// Principal matches PrincipalARN.
	Principal   string // userIdentity.arn
	Username    string
	AccessKeyID string
	IssuedKeyID string
	// ErrorCode keeps the events that failed with it; AnyError those that
	// failed at all.
	ErrorCode string
	AnyError  bool
	ReadOnly  *bool
	// Management keeps management events only (LookupEvents).
	Management bool
	// Before keeps events with Key < Before (0: no bound): the cursor.
	Before uint64
	// Limit caps the result (0: 50).
	Limit int
}

// EventIndex is the audit event index. Events are returned newest first
// (Key descending).
type EventIndex interface {
	// IndexEvents adds rs and records that the trail is indexed up to
	// position, in one transaction; rows already there (same account and
	// key) are kept, so the trail may be read again.
	IndexEvents(ctx context.Context, rs []EventRecord, position uint64) error
	// EventIndexPosition is the trail position IndexEvents last recorded.
	EventIndexPosition(ctx context.Context) (uint64, error)
	// FindEvents returns the matching events, newest first.
	FindEvents(ctx context.Context, f EventFilter) ([]EventRecord, error)
	// PruneEvents deletes every account's rows with Key <= upTo: the
	// trail's retention pruned those events, and the index answers what
	// the trail holds. Deleting again is harmless.
	PruneEvents(ctx context.Context, upTo uint64) error
}

// EventWhere is the WHERE clause of f over audit_events, with ph naming
// the nth (1-based) parameter; the SQL
// stores share it.
func EventWhere(f EventFilter, ph func(n int) string) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.Replace(cond, "?", ph(len(args)), 1))
	}
	add("account_id = ?", f.Account)
	if !f.From.IsZero() {
		from := f.From.Unix()
		if f.From.Nanosecond() > 0 {
			from++
		}
		add("time >= ?", from)
	}
	if !f.To.IsZero() {
		// To is exclusive; event times are whole seconds.
		to := f.To.Unix()
		if f.To.Nanosecond() > 0 {
			to++
		}
		add("time < ?", to)
	}
	for _, c := range []struct{ col, v string }{
		{"event_id", f.EventID}, {"source", f.Source}, {"name", f.Name}, {"username", f.Username},
		{"access_key_id", f.AccessKeyID}, {"issued_key_id", f.IssuedKeyID}, {"error_code", f.ErrorCode},
	} {
		if c.v != "" {
			add(c.col+" = ?", c.v)
		}
	}
	if f.Principal != "" {
		add("principal_arn = ?", f.Principal)
	}
	if f.AnyError && f.ErrorCode == "" {
		where = append(where, "error_code != ''")
	}
	if f.ReadOnly != nil {
		add("read_only = ?", *f.ReadOnly)
	}
	if f.Management {
		where = append(where, "management")
	}
	if f.Before != 0 {
		add("key < ?", int64(min(f.Before, 1<<63-1)))
	}
	return strings.Join(where, " AND "), args
}
