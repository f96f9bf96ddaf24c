package audit

import (
	"strings"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/credential"
	"github.com/brevet-dev/brevet/internal/identity"
)

// Converter turns dispatcher records into events. Its zero value is
// usable; Region defaults to us-east-1.
type Converter struct {
	// Region is awsRegion.
	Region string
	// NewID returns an eventID; awsquery.NewRequestID (a UUID) when nil.
	NewID func() string
}

// Convert makes the Event for rec. It copies and redacts the parameters
// and response elements (defence in depth on top of awsquery's
// sensitive-shape redaction), so rec is not modified. tls may be nil.
func (c Converter) Convert(rec *awsquery.AuditRecord, tls *TLSDetails) *Event {
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	newID := c.NewID
	if newID == nil {
		newID = awsquery.NewRequestID
	}
	e := &Event{
		EventVersion:      EventVersion,
		UserIdentity:      userIdentity(rec.Principal),
		EventTime:         rec.Start.Add(rec.Duration).UTC().Format(TimeFormat),
		EventSource:       eventSource(rec.Service),
		EventName:         rec.Action,
		AWSRegion:         region,
		SourceIPAddress:   rec.SourceIP,
		UserAgent:         rec.UserAgent,
		ErrorCode:         rec.ErrorCode,
		ErrorMessage:      rec.ErrorMessage,
		RequestParameters: Redact(rec.RequestParameters),
		ResponseElements:  Redact(rec.ResponseElements),
		RequestID:         rec.RequestID,
		EventID:           newID(),
		ReadOnly:          IsReadOnly(rec.Action),
		EventType:         "AwsApiCall",
		ManagementEvent:   true,
		EventCategory:     "Management",
		TLSDetails:        tls,
	}
	e.RecipientAccountID = e.UserIdentity.AccountID
	e.Resources = resources(e)
	return e
}

// eventSource maps the model's service name to CloudTrail's eventSource.
func eventSource(service string) string {
	if service == "" {
		return "unknown.brevet"
	}
	return strings.ToLower(service) + ".amazonaws.com"
}

func userIdentity(p awsquery.Principal) UserIdentity {
	ip, ok := p.(*identity.Principal)
	if !ok || ip == nil {
		if p != nil && p.ARN() != "" {
			return UserIdentity{Type: string(identity.Unknown), ARN: p.ARN()}
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
			CreationDate:     s.IssuedAt.UTC().Format(TimeFormat),
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
	var rs []Resource
	acct := e.RecipientAccountID
	if arn, _ := e.RequestParameters["roleArn"].(string); arn != "" {
		rs = append(rs, Resource{ARN: arn, AccountID: accountOf(arn), Type: "AWS::IAM::Role"})
	}
	if name, _ := e.RequestParameters["userName"].(string); name != "" && acct != "" {
		rs = append(rs, Resource{ARN: "arn:aws:iam::" + acct + ":user/" + name, AccountID: acct, Type: "AWS::IAM::User"})
	}
	if name, _ := e.RequestParameters["roleName"].(string); name != "" && acct != "" {
		rs = append(rs, Resource{ARN: "arn:aws:iam::" + acct + ":role/" + name, AccountID: acct, Type: "AWS::IAM::Role"})
	}
	if id := e.IssuedAccessKeyID(); id != "" {
		rs = append(rs, Resource{ARN: id, AccountID: acct, Type: "AWS::IAM::AccessKey"})
	}
	return rs
}

func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
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
