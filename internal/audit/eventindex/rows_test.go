package eventindex

import (
	"reflect"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/audit"
	"github.com/brevet-dev/brevet/internal/store"
)

// fullRows are an event's rows from the whole decoded audit.Event, as
// Rows made them before it decoded only what it reads.
func fullRows(key uint64, raw []byte, e *audit.Event) []store.EventRecord {
	u := &e.UserIdentity
	r := store.EventRecord{
		Key: key, Time: e.Time(), EventID: e.EventID, Source: e.EventSource, Name: e.EventName,
		PrincipalARN: u.ARN, Username: e.Username(), AccessKeyID: u.AccessKeyID,
		ErrorCode: e.ErrorCode, ReadOnly: e.ReadOnly,
		Management: !strings.EqualFold(e.EventCategory, audit.CategoryData),
		Event:      raw, IssuedKeyID: IssuedKey(e),
	}
	if sc := u.SessionContext; sc != nil && sc.SessionIssuer != nil {
		r.IssuerARN = sc.SessionIssuer.ARN
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

// TestRowsAsTheWholeEvent: Rows reads the same values as the whole
// audit.Event gives, for every member it reads and their odd forms.
func TestRowsAsTheWholeEvent(t *testing.T) {
	for _, raw := range []string{
		`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAX","userName":"alice"},"eventTime":"2026-11-22T08:00:01Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","requestParameters":{"roleArn":"x"},"responseElements":{"credentials":{"accessKeyId":"ASIARESP","expiration":"x"}},"eventID":"e1","readOnly":false,"eventCategory":"Management","recipientAccountId":"444455556666"}`,
		`{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/r/s","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/r"},"attributes":{"creationDate":"x","mfaAuthenticated":"false"}}},"eventTime":"2026-11-22T08:00:02Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","errorCode":"AccessDenied","eventID":"e2","readOnly":true,"eventCategory":"Data","recipientAccountId":"111122223333","additionalEventData":{"issuedCredential":{"kind":"AssumeRole","accessKeyId":"ASIAISSUED"}},"responseElements":{"credentials":{"accessKeyId":"ASIAOTHER"}}}`,
		`{"userIdentity":{"type":"Root","accountId":"111122223333"},"eventTime":"bad","eventSource":"iam.amazonaws.com","eventName":"CreateUser","responseElements":{"credentials":"not an object"},"eventID":"e3"}`,
		`{"userIdentity":{"type":"Unknown"},"eventTime":"2026-11-22T08:00:03Z","responseElements":{"credentials":{"accessKeyId":7}},"eventID":"e4","recipientAccountId":"111122223333"}`,
		`{"userIdentity":{},"responseElements":null,"eventID":"e5"}`,
	} {
		e, err := audit.DecodeEvent([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		want := fullRows(9, []byte(raw), e)
		got, err := Rows(9, []byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", raw, got, want)
		}
	}
	// A pruning event names the last event it pruned.
	raw := `{"userIdentity":{"type":"AWSService"},"eventSource":"` + audit.BrevetEventSource + `","eventName":"` + audit.TrailFilesPrunedEvent +
		`","eventID":"p","recipientAccountId":"111122223333","additionalEventData":{"trailPruned":{"action":"deleted","lastSeq":41}}}`
	if _, to, err := entry(10, []byte(raw)); err != nil || to != 41 {
		t.Errorf("pruning event: pruned to %d, %v; want 41", to, err)
	}
	if _, err := Rows(1, []byte(`{"eventID":`)); err == nil {
		t.Error("an event that does not decode: no error")
	}
}
