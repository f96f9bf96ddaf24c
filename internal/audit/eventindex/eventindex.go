// Package eventindex keeps the audit event index (store.EventIndex) behind
// the audit trail: the rows the console's audit explorer and LookupEvents
// read instead of scanning the trail.
//
// It owns turning an event into its index rows (Rows) and, for the file
// trail, the Indexer that writes them behind the trail and catches up
// from it. It must not decide what is recorded (package audit does) nor
// answer requests (package lookup does). On PostgreSQL the audit sink
// writes the rows in the transaction that inserts the events.
package eventindex

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/store"
)

// Rows are the index rows of one event at key: one per account it
// concerns (the recipient's, and the caller's when it differs), so that
// each account's pages are one range of the index.
func Rows(key uint64, raw []byte) ([]store.EventRecord, error) {
	rows, _, err := entry(key, raw)
	return rows, err
}

// entry is Rows, and for the event that records retention pruning
// (TrailFilesPruned) the last event it pruned: the index forgets every
// event up to it.
func entry(key uint64, raw []byte) (rows []store.EventRecord, prunedTo uint64, err error) {
	return entryOwned(key, bytes.Clone(raw))
}

// entryOwned is entry of raw that the rows may keep (the caller does not
// reuse it).
func entryOwned(key uint64, raw []byte) (rows []store.EventRecord, prunedTo uint64, err error) {
	var e indexed
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, 0, err
	}
	if ad := e.AdditionalEventData; ad != nil && ad.TrailPruned != nil &&
		e.EventName == audit.TrailFilesPrunedEvent && e.EventSource == audit.BrevetEventSource {
		prunedTo = ad.TrailPruned.LastSeq
	}
	return e.rows(key, raw), prunedTo, nil
}

// indexed is what the index reads of an event (audit.Event's members of
// the same names): decoding only these skips the request parameters and
// response elements, most of an event, which audit.DecodeEvent builds
// maps of.
type indexed struct {
	UserIdentity struct {
		Type           string `json:"type"`
		ARN            string `json:"arn"`
		AccountID      string `json:"accountId"`
		AccessKeyID    string `json:"accessKeyId"`
		UserName       string `json:"userName"`
		SessionContext *struct {
			SessionIssuer *struct {
				ARN string `json:"arn"`
			} `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	EventTime          string `json:"eventTime"`
	EventSource        string `json:"eventSource"`
	EventName          string `json:"eventName"`
	ErrorCode          string `json:"errorCode"`
	EventID            string `json:"eventID"`
	ReadOnly           bool   `json:"readOnly"`
	RecipientAccountID string `json:"recipientAccountId"`
	EventCategory      string `json:"eventCategory"`
	// ResponseElements' credentials (responseElements.credentials) are
	// read as audit.Event.IssuedAccessKeyID reads them: anything but an
	// object with a string accessKeyId names no key.
	ResponseElements struct {
		Credentials json.RawMessage `json:"credentials"`
	} `json:"responseElements"`
	AdditionalEventData *struct {
		IssuedCredential *struct {
			AccessKeyID string `json:"accessKeyId"`
		} `json:"issuedCredential"`
		TrailPruned *struct {
			LastSeq uint64 `json:"lastSeq"`
		} `json:"trailPruned"`
	} `json:"additionalEventData"`
}

// rows are the index rows of e at key (Rows), whose JSON is raw.
func (e *indexed) rows(key uint64, raw []byte) []store.EventRecord {
	u := &e.UserIdentity
	t, _ := time.Parse(audit.TimeFormat, e.EventTime)
	r := store.EventRecord{
		Key: key, Time: t, EventID: e.EventID, Source: e.EventSource, Name: e.EventName,
		PrincipalARN: u.ARN, Username: username(u.UserName, u.ARN, u.Type), AccessKeyID: u.AccessKeyID,
		ErrorCode: e.ErrorCode, ReadOnly: e.ReadOnly,
		Management: !strings.EqualFold(e.EventCategory, audit.CategoryData),
		Event:      raw,
	}
	if sc := u.SessionContext; sc != nil && sc.SessionIssuer != nil {
		r.IssuerARN = sc.SessionIssuer.ARN
	}
	if ad := e.AdditionalEventData; ad != nil && ad.IssuedCredential != nil {
		r.IssuedKeyID = ad.IssuedCredential.AccessKeyID
	} else if c := e.ResponseElements.Credentials; len(c) > 0 && c[0] == '{' {
		var cr struct {
			AccessKeyID any `json:"accessKeyId"`
		}
		if json.Unmarshal(c, &cr) == nil {
			r.IssuedKeyID, _ = cr.AccessKeyID.(string)
		}
	}
	var rows []store.EventRecord
	for _, a := range []string{e.RecipientAccountID, u.AccountID} {
		if a == "" || (len(rows) == 1 && rows[0].Account == a) {
			continue
		}
		r.Account = a
		rows = append(rows, r)
	}
	return rows
}

// username is audit.Event.Username of an event's user identity.
func username(userName, arn, typ string) string {
	e := audit.Event{UserIdentity: audit.UserIdentity{UserName: userName, ARN: arn, Type: typ}}
	return e.Username()
}

// IssuedKey is the temporary credential e issued, as the index records it
// (EventRecord.IssuedKeyID): additionalEventData.issuedCredential, else
// responseElements.credentials; "" for none.
func IssuedKey(e *audit.Event) string {
	if ad := e.AdditionalEventData; ad != nil && ad.IssuedCredential != nil {
		return ad.IssuedCredential.AccessKeyID
	}
	return e.IssuedAccessKeyID()
}
