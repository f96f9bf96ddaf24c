package policy

import (
	"errors"
	"testing"
)

func TestValidateByType(t *testing.T) {
	const (
		trustOK    = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`
		resourceOK = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`
		identityOK = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`
	)
	tests := []struct {
		name string
		t    Type
		doc  string
		want string // "" for valid
	}{
		// Identity, session and boundary: the principal is implicit.
		{"identity ok", TypeIdentity, identityOK, ""},
		{"session ok", TypeSession, identityOK, ""},
		{"boundary ok", TypeBoundary, identityOK, ""},
		{"identity with principal", TypeIdentity, resourceOK, "Policy document should not specify a principal."},
		{"session with principal", TypeSession, resourceOK, "Policy document should not specify a principal."},
		{"boundary with NotPrincipal", TypeBoundary, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"}}`, "Policy document should not specify a principal."},
		{"session needs 2012 version", TypeSession, `{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "Policy document must be version 2012-10-17 or greater."},
		{"syntax error before principal", TypeIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Bad":1}}`, "Syntax errors in policy."},
		{"principal and NotPrincipal", TypeResource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:*","Resource":"*"}}`, "Syntax errors in policy."},

		// Trust policies.
		{"trust ok", TypeTrust, trustOK, ""},
		{"trust 2008 version", TypeTrust, `{"Version":"2008-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]}`, ""},
		{"trust no version", TypeTrust, `{"Statement":[{"Effect":"Allow","Principal":"*","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`, ""},
		{"trust web identity", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}}`, ""},
		{"trust SAML", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/Okta"},"Action":"sts:AssumeRoleWithSAML"}}`, ""},
		{"trust cognito", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}}`, ""},
		{"trust sts wildcard", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:Assume*"}}`, ""},
		{"trust assumed-role principal", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:sts::123456789012:assumed-role/r/s","arn:aws:iam::123456789012:user/path/alice","AROAEXAMPLEEXAMPLE12"]},"Action":"sts:AssumeRole"}}`, ""},
		{"trust with Resource", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}`, "Has prohibited field Resource"},
		{"trust with NotResource", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","NotResource":"*"}}`, "Has prohibited field NotResource"},
		{"trust with NotPrincipal", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}}`, "Has prohibited field NotPrincipal"},
		{"trust without principal", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`, "Missing required field Principal"},
		{"trust without action", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*"}}`, "Policy statement must contain actions."},
		{"trust non-sts action", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":["sts:AssumeRole","s3:GetObject"]}}`, "AssumeRole policy may only specify STS AssumeRole actions."},
		{"trust other sts action", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:GetCallerIdentity"}}`, "AssumeRole policy may only specify STS AssumeRole actions."},
		{"trust misspelt sts action", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:TagSessions"}}`, "AssumeRole policy may only specify STS AssumeRole actions."},
		{"trust bare wildcard action", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"*"}}`, "AssumeRole policy may only specify STS AssumeRole actions."},
		{"trust bad account", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "AWS":"12345"`},
		{"trust wildcard in ARN", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/*"},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/*"`},
		{"trust group is not a principal", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:group/admins"},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:group/admins"`},
		{"trust unknown principal type", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Account":"123456789012"},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "Account":"123456789012"`},
		{"trust bad service", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2"},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: "Service":"ec2"`},
		{"trust empty principal map", TypeTrust, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}}`, `Invalid principal in policy: {}`},
		{"trust duplicate sid", TypeTrust, `{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Sid":"a","Effect":"Allow","Principal":"*","Action":"sts:TagSession"}]}`, "Statement IDs (SID) in a single policy must be unique."},

		// Resource policies.
		{"resource ok", TypeResource, resourceOK, ""},
		{"resource 2008 and NotPrincipal", TypeResource, `{"Version":"2008-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:*","Resource":"*"}}`, ""},
		{"resource without principal", TypeResource, identityOK, "Missing required field Principal"},
		{"resource without resource", TypeResource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}}`, "Policy statement must contain resources."},
		{"resource bad canonical user", TypeResource, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"CanonicalUser":"abc"},"Action":"s3:GetObject","Resource":"*"}}`, `Invalid principal in policy: "CanonicalUser":"abc"`},

		// Rules common to all types, beyond the corpus.
		{"duplicate sid", TypeIdentity, `{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, "Statement IDs (SID) in a single policy must be unique."},
		{"empty sids may repeat", TypeIdentity, `{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, ""},
		{"empty statement array", TypeIdentity, `{"Version":"2012-10-17","Statement":[]}`, "Syntax errors in policy."},
		{"unknown operator", TypeIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"a":"b"}}}}`, "Syntax errors in policy."},
		{"unknown operator, empty block", TypeIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{}}}}`, ""},
		{"qualified operator", TypeIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":["a*"]}}}}`, ""},
		{"bad vendor", TypeIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s_3:Get","Resource":"*"}}`, "Vendor s_3 is not valid"},
		{"iam region", TypeIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam:us-east-1:123456789012:user/a"}}`, "IAM resource arn:aws:iam:us-east-1:123456789012:user/a cannot contain region information."},
		{"iam path", TypeIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::123456789012:bucket/a"}}`, `IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.`},
		{"s3 access point is regional", TypeIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:us-east-1:123456789012:accesspoint/ap/object/*"}}`, ""},
		{"date with negative offset", TypeIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2024-01-01T00:00:00-05:00"}}}}`, ""},
		{"date epoch seconds", TypeIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:EpochTime":1700000000}}}}`, ""},
		{"date boolean", TypeIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":true}}}}`, "The policy failed legacy parsing"},
		{"date bad zone", TypeIdentity, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2024-01-01T00:00:00+5"}}}}`, "The policy failed legacy parsing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAndValidate([]byte(tt.doc), tt.t)
			got := ""
			var me *MalformedError
			if errors.As(err, &me) {
				got = me.Message
			} else if err != nil {
				t.Fatalf("error %T %v, want *MalformedError", err, err)
			}
			if got != tt.want {
				t.Errorf("%v: got %q, want %q", tt.t, got, tt.want)
			}
		})
	}
}

func TestValidateNilAndUnknownType(t *testing.T) {
	var me *MalformedError
	if err := Validate(nil, TypeIdentity); !errors.As(err, &me) || me.Message != "Syntax errors in policy." {
		t.Errorf("Validate(nil) = %v, want syntax error", err)
	}
	doc := &Document{Version: Version2012, Statements: []Statement{{Effect: Allow, Action: Values{"s3:*"}, Resource: Values{"*"}}}}
	for _, typ := range []Type{0, TypeBoundary + 1} {
		err := Validate(doc, typ)
		if err == nil || errors.As(err, &me) {
			t.Errorf("Validate with type %d = %v, want a plain error", typ, err)
		}
	}
}

func TestLegacyDateOK(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"2019-07-01T13:20:15Z", true},
		{"2019-07-01", true},
		{"2019", true},
		{"01T", true},
		{"2016-12-13t2:00:00.593194+23", true},
		{"2016-12-13T02:00:00+05:30", true},
		{"0", true},
		{"9223372036854775807", true},
		{"9223372036854775808", false},
		{"-292275055-01-01", false},
		{"2019-13-01", false},
		{"2019-12-32", false},
		{"2019-12-01-01", false},
		{"2019-12-01T24:00", false},
		{"2019-12-01T23:60", false},
		{"2019-12-01T23:59:60", false},
		{"2019-12-01T23:59:59.1000000000", false},
		{"2019-12-01T23:59:59Zx", false},
		{"2019-12-01T23:59:59+5", false},
		{"2019-12-01T23:59:59+05:3", false},
		{"", false},
		{"abc", false},
		{"1.5", false},
	}
	for _, tt := range tests {
		if got := legacyDateOK(tt.in); got != tt.want {
			t.Errorf("legacyDateOK(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
