package audit

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/request"
)

// EventVersion is the CloudTrail record format version Brevet's events
// follow (CloudTrail's current version at the time of writing). Fields are
// only ever added within a major version, as CloudTrail does.
const EventVersion = "1.11"

// CloudTrail's eventCategory values Brevet writes.
const (
	CategoryManagement = "Management"
	CategoryData       = request.CategoryData
)

// TimeFormat is CloudTrail's eventTime format: UTC, second precision.
const TimeFormat = "2006-01-02T15:04:05Z"

// Event is one CloudTrail-format record. The JSON field names and shapes
// are CloudTrail's, so that tooling that reads CloudTrail reads Brevet.
type Event struct {
	EventVersion       string         `json:"eventVersion"`
	UserIdentity       UserIdentity   `json:"userIdentity"`
	EventTime          string         `json:"eventTime"`
	EventSource        string         `json:"eventSource"`
	EventName          string         `json:"eventName"`
	AWSRegion          string         `json:"awsRegion"`
	SourceIPAddress    string         `json:"sourceIPAddress"`
	UserAgent          string         `json:"userAgent"`
	ErrorCode          string         `json:"errorCode,omitempty"`
	ErrorMessage       string         `json:"errorMessage,omitempty"`
	RequestParameters  map[string]any `json:"requestParameters"`
	ResponseElements   map[string]any `json:"responseElements"`
	RequestID          string         `json:"requestID"`
	EventID            string         `json:"eventID"`
	ReadOnly           bool           `json:"readOnly"`
	Resources          []Resource     `json:"resources,omitempty"`
	EventType          string         `json:"eventType"`
	ManagementEvent    bool           `json:"managementEvent"`
	RecipientAccountID string         `json:"recipientAccountId,omitempty"`
	EventCategory      string         `json:"eventCategory"`
	TLSDetails         *TLSDetails    `json:"tlsDetails,omitempty"`
	// SessionCredentialFromConsole is "true" for a request made with a
	// console session's credentials (the console, internal/console), as
	// CloudTrail marks the management console's calls.
	SessionCredentialFromConsole string `json:"sessionCredentialFromConsole,omitempty"`
	// AdditionalEventData is CloudTrail's free-form element; Brevet puts
	// there what a request issued, so that the issuance index can be
	// rebuilt from the trail alone.
	AdditionalEventData *AdditionalEventData `json:"additionalEventData,omitempty"`
}

// AdditionalEventData is CloudTrail's additionalEventData: for data
// events, the members CloudTrail gives S3 events (their JSON names are
// CloudTrail's, capitals and dashes included); then Brevet's own members.
type AdditionalEventData struct {
	// SignatureVersion ("SigV4"), CipherSuite, AuthenticationMethod
	// ("AuthHeader" or "QueryString") and XAmzID2 (S3's extended request
	// id) come from the record's Details; CipherSuite falls back to the
	// connection's, as in tlsDetails.
	SignatureVersion string `json:"SignatureVersion,omitempty"`
	CipherSuite      string `json:"CipherSuite,omitempty"`
	// BytesTransferredIn and BytesTransferredOut are the body bytes a
	// data event carried, numbers as in CloudTrail; nil (absent) in
	// management events.
	BytesTransferredIn   *int64 `json:"bytesTransferredIn,omitempty"`
	AuthenticationMethod string `json:"AuthenticationMethod,omitempty"`
	XAmzID2              string `json:"x-amz-id-2,omitempty"`
	BytesTransferredOut  *int64 `json:"bytesTransferredOut,omitempty"`
	// CheckProtocol is how the authorization API was asked (its record's
	// Details): Envoy's ext_authz or nginx's auth_request.
	CheckProtocol string `json:"CheckProtocol,omitempty"`
	// MFAUsed is a ConsoleLogin's "Yes" or "No" (its record's Details), as
	// CloudTrail's.
	MFAUsed string `json:"MFAUsed,omitempty"`
	// RefusedParts counts what a request that succeeded as a whole was
	// refused part by part (the keys of a DeleteObjects Brevet did not
	// allow, listed as AccessDenied in its answer).
	RefusedParts int `json:"refusedParts,omitempty"`

	IssuedCredential *IssuedCredential `json:"issuedCredential,omitempty"`
	// Upstream is set instead of IssuedCredential when the credentials
	// are an upstream account's, which the broker obtained (issue 18):
	// not Brevet's to verify or revoke, so not in the issuance index.
	Upstream *Upstream `json:"upstream,omitempty"`
	// AggregatedFailures is set in an aggregate of folded unauthenticated
	// failures (AggregateConfig).
	AggregatedFailures *AggregatedFailures `json:"aggregatedFailures,omitempty"`
	// TrailPruned is set in the event that records retention pruning
	// rotated event files (RetentionConfig).
	TrailPruned *TrailPruned `json:"trailPruned,omitempty"`
}

// IssuedCredential is what an event issued: temporary credentials and who
// they belong to, in full (the issuance index's record), with issue time to
// the microsecond. Never a secret: the key id is public, as in
// responseElements.
type IssuedCredential struct {
	Kind              string `json:"kind"`
	AccessKeyID       string `json:"accessKeyId"`
	AccountID         string `json:"accountId"`
	PrincipalARN      string `json:"principalArn"`
	SessionARN        string `json:"sessionArn,omitempty"`
	SessionName       string `json:"sessionName,omitempty"`
	ParentAccessKeyID string `json:"parentAccessKeyId,omitempty"`
	RootAccessKeyID   string `json:"rootAccessKeyId,omitempty"`
	IssuedAt          string `json:"issuedAt"`
	Expiration        string `json:"expiration"`
}

// Upstream is the upstream STS call behind a brokered event
// (request.UpstreamSession): what joins Brevet's trail with the upstream
// account's CloudTrail (requestId, sourceIdentity, accessKeyId). Never a
// secret.
type Upstream struct {
	AccountID      string `json:"accountId"`
	Action         string `json:"action"`
	RequestID      string `json:"requestId,omitempty"`
	RoleARN        string `json:"roleArn,omitempty"`
	SessionARN     string `json:"sessionArn,omitempty"`
	SourceIdentity string `json:"sourceIdentity,omitempty"`
	AccessKeyID    string `json:"accessKeyId,omitempty"`
	Expiration     string `json:"expiration,omitempty"`
	Cached         bool   `json:"cached,omitempty"`
}

// issuedTimeFormat is IssuedCredential's time format: UTC, microseconds.
const issuedTimeFormat = "2006-01-02T15:04:05.000000Z"

// issuedCredential is the event form of a temporary issuance, nil for none:
// the upstream element for an upstream account's credentials, else
// issuedCredential.
func issuedCredential(i *request.Issuance) *AdditionalEventData {
	if i == nil {
		return nil
	}
	if u := i.Upstream; u != nil {
		up := &Upstream{AccountID: u.Account, Action: u.Action, RequestID: u.RequestID, RoleARN: u.RoleARN,
			SessionARN: u.SessionARN, SourceIdentity: u.SourceIdentity, AccessKeyID: u.AccessKeyID, Cached: u.Cached}
		if !u.Expires.IsZero() {
			up.Expiration = u.Expires.UTC().Truncate(time.Microsecond).Format(issuedTimeFormat)
		}
		return &AdditionalEventData{Upstream: up}
	}
	if !i.Temporary() {
		return nil
	}
	return &AdditionalEventData{IssuedCredential: &IssuedCredential{
		Kind: i.Kind, AccessKeyID: i.AccessKeyID, AccountID: i.Account, PrincipalARN: i.PrincipalARN,
		SessionARN: i.SessionARN, SessionName: i.SessionName, ParentAccessKeyID: i.ParentAccessKeyID,
		RootAccessKeyID: i.RootAccessKeyID,
		IssuedAt:        i.Issued.UTC().Truncate(time.Microsecond).Format(issuedTimeFormat),
		Expiration:      i.Expires.UTC().Truncate(time.Microsecond).Format(issuedTimeFormat),
	}}
}

// Issuance is what the event issued, read back from additionalEventData
// (the source IP from the event itself); false when it issued nothing or
// the element is malformed.
func (e *Event) Issuance() (request.Issuance, bool) {
	if e.AdditionalEventData == nil || e.AdditionalEventData.IssuedCredential == nil {
		return request.Issuance{}, false
	}
	c := e.AdditionalEventData.IssuedCredential
	issued, err1 := time.Parse(issuedTimeFormat, c.IssuedAt)
	expires, err2 := time.Parse(issuedTimeFormat, c.Expiration)
	if err1 != nil || err2 != nil || c.AccessKeyID == "" {
		return request.Issuance{}, false
	}
	return request.Issuance{
		Kind: c.Kind, AccessKeyID: c.AccessKeyID, Account: c.AccountID, PrincipalARN: c.PrincipalARN,
		SessionARN: c.SessionARN, SessionName: c.SessionName, ParentAccessKeyID: c.ParentAccessKeyID,
		RootAccessKeyID: c.RootAccessKeyID, Issued: issued, Expires: expires, SourceIP: e.SourceIPAddress,
	}, true
}

// UserIdentity is CloudTrail's userIdentity element.
type UserIdentity struct {
	Type             string          `json:"type"`
	PrincipalID      string          `json:"principalId,omitempty"`
	ARN              string          `json:"arn,omitempty"`
	AccountID        string          `json:"accountId,omitempty"`
	AccessKeyID      string          `json:"accessKeyId,omitempty"`
	UserName         string          `json:"userName,omitempty"`
	IdentityProvider string          `json:"identityProvider,omitempty"`
	SessionContext   *SessionContext `json:"sessionContext,omitempty"`
}

// SessionContext describes temporary credentials: who issued the session
// and its attributes.
type SessionContext struct {
	SessionIssuer  *SessionIssuer    `json:"sessionIssuer,omitempty"`
	Attributes     SessionAttributes `json:"attributes"`
	SourceIdentity string            `json:"sourceIdentity,omitempty"`
}

// SessionIssuer is the role or user whose session made the request.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// SessionAttributes are CloudTrail's sessionContext.attributes; both are
// strings in CloudTrail ("true"/"false" and an ISO 8601 time).
type SessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

// Resource is an entry of CloudTrail's resources list.
type Resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type"`
}

// TLSDetails is CloudTrail's tlsDetails element; absent for plain HTTP.
type TLSDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader,omitempty"`
}

// Time parses EventTime; the zero time when it is malformed.
func (e *Event) Time() time.Time {
	t, _ := time.Parse(TimeFormat, e.EventTime)
	return t
}

// IssuedAccessKeyID is the access key id of the temporary credentials the
// event issued (responseElements.credentials.accessKeyId of AssumeRole,
// GetSessionToken, GetFederationToken and AssumeRoleWith*), or "".
func (e *Event) IssuedAccessKeyID() string {
	c, _ := e.ResponseElements["credentials"].(map[string]any)
	id, _ := c["accessKeyId"].(string)
	return id
}

// Username is the name LookupEvents reports: the IAM user name, else the
// last element of the caller's ARN (the session name of an assumed role).
func (e *Event) Username() string {
	u := &e.UserIdentity
	if u.UserName != "" {
		return u.UserName
	}
	if i := strings.LastIndexByte(u.ARN, '/'); i >= 0 {
		return u.ARN[i+1:]
	}
	if u.Type == "Root" {
		return "root"
	}
	return ""
}

// decodeEvent parses an event's JSON.
func decodeEvent(b []byte) (*Event, error) {
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, err
	}
	return &e, nil
}
