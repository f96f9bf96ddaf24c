package audit

import (
	"slices"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/iam"
	"github.com/brevet-dev/brevet/internal/identity"
	"github.com/brevet-dev/brevet/internal/request"
)

// Converter turns dispatcher records into events. Its zero value is
// usable; Region defaults to us-east-1.
type Converter struct {
	// Region is awsRegion.
	Region string
	// Account is the account that owns the resources data events touch
	// (the node's account): their recipientAccountId and their buckets'
	// accountId. When empty, the caller's account stands in.
	Account string
	// NewID returns an eventID; request.NewID (a UUID) when nil.
	NewID func() string
	// MaxFieldBytes and MaxFailedFieldBytes cap the JSON of
	// requestParameters and responseElements, for requests that succeeded
	// and that failed: a longer one is recorded as an omitted marker
	// (appendOmitted). Zero means the defaults; negative, no cap. Only
	// the encoding path (Auditor.Audit) applies them, not Convert.
	MaxFieldBytes, MaxFailedFieldBytes int
}

// maxField is the cap for rec's maps.
func (c Converter) maxField(rec *request.Record) int {
	m, def := c.MaxFieldBytes, DefaultMaxFieldBytes
	if rec.ErrorCode != "" {
		m, def = c.MaxFailedFieldBytes, DefaultMaxFailedFieldBytes
	}
	switch {
	case m == 0:
		return def
	case m < 0:
		return 0
	}
	return m
}

// Convert makes the Event for rec. It copies and redacts the parameters
// and response elements (defence in depth on top of awsquery's
// sensitive-shape redaction), so rec is not modified. tls may be nil.
func (c Converter) Convert(rec *request.Record, tls *TLSDetails) *Event {
	e := new(Event)
	c.fill(e, rec, tls)
	e.RequestParameters = Redact(e.RequestParameters)
	e.ResponseElements = Redact(e.ResponseElements)
	return e
}

// appendJSON appends the JSON of c.Convert(rec, tls) to b, the bytes
// json.Marshal would make of it, without the redacted copies: the event
// refers to rec's own maps and the encoder redacts as it writes them. It
// is what Auditor.Audit does for every request.
func (c Converter) appendJSON(b []byte, rec *request.Record, tls *TLSDetails) ([]byte, int, error) {
	var e Event
	c.fill(&e, rec, tls)
	return e.appendJSON(b, true, c.maxField(rec))
}

// fill sets e for rec, except that its parameters and response elements
// are rec's maps, not redacted. resources reads only names that redaction
// leaves alone (roleArn, userName, roleName, credentials.accessKeyId), so
// it finds the same before redaction as after.
func (c Converter) fill(e *Event, rec *request.Record, tls *TLSDetails) {
	region, newID := c.region(), c.NewID
	if newID == nil {
		newID = request.NewID
	}
	*e = Event{
		EventVersion:      EventVersion,
		UserIdentity:      userIdentity(rec.Principal),
		EventTime:         formatTime(rec.Start.Add(rec.Duration)),
		EventSource:       eventSource(rec.Service),
		EventName:         rec.Action,
		AWSRegion:         region,
		SourceIPAddress:   rec.SourceIP,
		UserAgent:         truncateString(rec.UserAgent, maxStringField),
		ErrorCode:         truncateString(rec.ErrorCode, maxStringField),
		ErrorMessage:      truncateString(rec.ErrorMessage, maxStringField),
		RequestParameters: rec.RequestParameters,
		ResponseElements:  rec.ResponseElements,
		RequestID:         rec.RequestID,
		EventID:           newID(),
		ReadOnly:          rec.Effect == request.ReadOnly,
		EventType:         "AwsApiCall",
		ManagementEvent:   true,
		EventCategory:     CategoryManagement,
		TLSDetails:        tls,

		AdditionalEventData: issuedCredential(rec.Issued),
	}
	e.RecipientAccountID = e.UserIdentity.AccountID
	if ip, ok := rec.Principal.(*identity.Principal); ok && ip.ViaConsole() {
		e.SessionCredentialFromConsole = "true"
	}
	if rp, ok := rec.Principal.(RecipientPrincipal); ok && rp.RecipientAccountID() != "" {
		e.RecipientAccountID = rp.RecipientAccountID()
	}
	if e.RecipientAccountID == "" && rec.Issued != nil {
		// An unsigned request that issued credentials (AssumeRoleWithWebIdentity,
		// AssumeRoleWithSAML) is received by the role's account, as in
		// CloudTrail: its LookupEvents finds it (the join of a broker's
		// trail with its upstream's, docs/broker.md).
		e.RecipientAccountID = rec.Issued.Account
	}
	if rec.Category == request.CategoryData {
		c.fillData(e, rec, tls)
		return
	}
	e.Resources = resources(e)
	if mfa := detail(rec.Details, "MFAUsed"); mfa != "" { // a ConsoleLogin's, as CloudTrail's
		if e.AdditionalEventData == nil {
			e.AdditionalEventData = &AdditionalEventData{}
		}
		e.AdditionalEventData.MFAUsed = mfa
	}
}

// fillData makes e the data event CloudTrail writes for a request to
// another service (an S3 GetObject): category Data, not a management
// event, the resources the record names and additionalEventData's S3
// members. The account receiving it is the resources' owner.
func (c Converter) fillData(e *Event, rec *request.Record, tls *TLSDetails) {
	e.EventCategory = CategoryData
	e.ManagementEvent = false
	if c.Account != "" {
		e.RecipientAccountID = c.Account
	}
	e.Resources = dataResources(rec.Resources, e.RecipientAccountID)
	d := &dataAdditional{in: rec.BytesIn, out: rec.BytesOut}
	a := &d.AdditionalEventData
	a.BytesTransferredIn, a.BytesTransferredOut = &d.in, &d.out
	a.SignatureVersion = detail(rec.Details, "SignatureVersion")
	a.CipherSuite = detail(rec.Details, "CipherSuite")
	if a.CipherSuite == "" && tls != nil {
		a.CipherSuite = tls.CipherSuite
	}
	a.AuthenticationMethod = detail(rec.Details, "AuthenticationMethod")
	a.XAmzID2 = detail(rec.Details, "x-amz-id-2")
	a.CheckProtocol = detail(rec.Details, "CheckProtocol")
	a.RefusedParts = rec.Refused
	e.AdditionalEventData = a
}

// dataAdditional holds a data event's additionalEventData and the byte
// counts it points to, so that the three take one allocation.
type dataAdditional struct {
	AdditionalEventData
	in, out int64
}

// detail is a record detail, capped as other free text is. Details
// other than those above are not recorded.
func detail(d map[string]string, k string) string {
	return truncateString(d[k], maxStringField)
}

// maxDataResources caps the resources a data event lists (S3 names one or
// two, CopyObject three).
const maxDataResources = 16

// dataResources is the resources list of a data event, with the owner's
// account where CloudTrail gives one: on buckets (the bucket owner) and
// on other services' resources (the account in their ARN, else the
// owner); S3 objects have none, as in CloudTrail.
func dataResources(rs []request.Resource, owner string) []Resource {
	if len(rs) == 0 {
		return nil
	}
	out := make([]Resource, 0, min(len(rs), maxDataResources))
	for _, r := range rs[:min(len(rs), maxDataResources)] {
		res := Resource{ARN: truncateString(r.ARN, maxResourceName), Type: truncateString(r.Type, maxStringField)}
		switch {
		case r.Type == S3ObjectType:
		case r.Type == S3BucketType:
			res.AccountID = owner
		default:
			if res.AccountID = iam.ARNAccount(r.ARN); res.AccountID == "" {
				res.AccountID = owner
			}
		}
		out = append(out, res)
	}
	return out
}

// CloudTrail's resource types of S3 data events.
const (
	S3ObjectType = "AWS::S3::Object"
	S3BucketType = "AWS::S3::Bucket"
)

func (c Converter) region() string {
	if c.Region == "" {
		return "us-east-1"
	}
	return c.Region
}

func (c Converter) newID() string {
	if c.NewID == nil {
		return request.NewID()
	}
	return c.NewID()
}

// formatTime is t.UTC().Format(TimeFormat), without parsing the layout.
func formatTime(t time.Time) string {
	var buf [len(TimeFormat)]byte
	return string(appendTime(buf[:0], t))
}

// appendTime appends t.UTC() in TimeFormat.
func appendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, TimeFormat) // its own spelling of such years
	}
	hour, minute, sec := t.Clock()
	b = append2(append2(b, year/100), year%100)
	b = append2(append(b, '-'), int(month))
	b = append2(append(b, '-'), day)
	b = append2(append(b, 'T'), hour)
	b = append2(append(b, ':'), minute)
	b = append2(append(b, ':'), sec)
	return append(b, 'Z')
}

// append2 appends n, 0 to 99, in two digits.
func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

// eventSource maps the model's service name to CloudTrail's eventSource.
// The names are lower case already, so ToLower returns them as they are.
func eventSource(service string) string {
	if service == "" {
		return "unknown.brevet"
	}
	return strings.ToLower(service) + ".amazonaws.com"
}

// AccountPrincipal is a principal that is not an IAM identity but acts
// in an account (Roles Anywhere's certificate holder, IoT's device): its
// events carry that account as userIdentity.accountId and
// recipientAccountId, so an account's search finds them.
type AccountPrincipal interface {
	request.Principal
	AccountID() string
}

// RecipientPrincipal is an AccountPrincipal whose event may concern
// another account than its own (a person's GetRoleCredentials: the
// role's account, which assigned it to them): that account, when not "",
// receives the event (recipientAccountId) while userIdentity keeps the
// principal's own, so that both accounts' searches find it.
type RecipientPrincipal interface {
	AccountPrincipal
	RecipientAccountID() string
}

func userIdentity(p request.Principal) UserIdentity {
	ip, ok := p.(*identity.Principal)
	if !ok || ip == nil {
		if p != nil && p.ARN() != "" {
			// A principal that is not an IAM identity (a Roles Anywhere
			// certificate holder, an IoT device) is "Unknown" with its
			// own ARN and, when it says (AccountPrincipal), the account
			// it acts in, which receives the event.
			u := UserIdentity{Type: string(identity.Unknown), ARN: p.ARN()}
			if a, ok := p.(AccountPrincipal); ok {
				u.AccountID = a.AccountID()
			}
			return u
		}
		return UserIdentity{Type: string(identity.Unknown)}
	}
	u := UserIdentity{
		Type:        string(ip.Type),
		PrincipalID: ip.PrincipalID,
		ARN:         ip.CallerARN,
		AccountID:   ip.Account,
		AccessKeyID: ip.AccessKeyID,
	}
	if u.Type == "" {
		u.Type = string(identity.Unknown)
	}
	switch ip.Type {
	case identity.IAMUser, identity.WebIdentityUser, identity.SAMLUser:
		u.UserName = ip.UserName
	}
	if s := ip.Session; s != nil {
		u.SessionContext = sessionContext(ip, s)
		if s.Provider != "" && (ip.Type == identity.WebIdentityUser || ip.Type == identity.SAMLUser) {
			u.IdentityProvider = s.Provider
		}
	}
	return u
}

func sessionContext(ip *identity.Principal, s *credential.Claims) *SessionContext {
	sc := &SessionContext{
		Attributes: SessionAttributes{
			CreationDate:     formatTime(s.IssuedAt),
			MFAAuthenticated: boolString(s.MFAAuthenticated),
		},
		SourceIdentity: s.SourceIdentity,
	}
	switch s.PrincipalType {
	case credential.AssumedRole, credential.WebIdentity, credential.SAML:
		sc.SessionIssuer = &SessionIssuer{
			Type:        "Role",
			PrincipalID: s.PrincipalID,
			ARN:         s.PrincipalARN,
			AccountID:   s.AccountID,
			UserName:    lastSegment(s.PrincipalARN),
		}
	case credential.FederatedUser:
		// The issuer is the IAM user that called GetFederationToken; the
		// claims name the federated user, the principal names that user.
		// Its ARN is rebuilt without the user's path, which the session
		// does not carry.
		if ip.UserName != "" {
			sc.SessionIssuer = &SessionIssuer{
				Type:        "IAMUser",
				PrincipalID: ip.UserID,
				ARN:         "arn:aws:iam::" + s.AccountID + ":user/" + ip.UserName,
				AccountID:   s.AccountID,
				UserName:    ip.UserName,
			}
		}
	}
	// GetSessionToken sessions carry no issuer: the caller is the user
	// itself, as CloudTrail records them.
	return sc
}

// resources lists what the event touched, for LookupEvents' ResourceType
// and ResourceName filters: the role assumed, the user named, the access
// key issued.
func resources(e *Event) []Resource {
	var buf [4]Resource
	rs := buf[:0]
	acct := e.RecipientAccountID
	if arn, _ := e.RequestParameters["roleArn"].(string); arn != "" && len(arn) <= maxResourceName {
		rs = append(rs, Resource{ARN: arn, AccountID: iam.ARNAccount(arn), Type: "AWS::IAM::Role"})
	}
	if name, _ := e.RequestParameters["userName"].(string); name != "" && acct != "" && len(name) <= maxResourceName {
		rs = append(rs, Resource{ARN: "arn:aws:iam::" + acct + ":user/" + name, AccountID: acct, Type: "AWS::IAM::User"})
	}
	if name, _ := e.RequestParameters["roleName"].(string); name != "" && acct != "" && len(name) <= maxResourceName {
		rs = append(rs, Resource{ARN: "arn:aws:iam::" + acct + ":role/" + name, AccountID: acct, Type: "AWS::IAM::Role"})
	}
	if id := e.IssuedAccessKeyID(); id != "" && len(id) <= maxResourceName {
		rs = append(rs, Resource{ARN: id, AccountID: acct, Type: "AWS::IAM::AccessKey"})
	}
	if len(rs) == 0 {
		return nil
	}
	return slices.Clone(rs) // one allocation, off buf
}

func lastSegment(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return ""
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
