package policy

import "testing"

// The worked examples of reference_policies_evaluation-logic and
// reference_policies_evaluation-logic-cross-account in the IAM User Guide,
// restated as scenarios.

var carlos = Caller{Kind: IAMUser, ARN: "arn:aws:iam::123456789012:user/carlossalazar", Account: "123456789012", UserName: "carlossalazar"}

const carlosIdentity = `{"Version":"2012-10-17","Statement":[
 {"Sid":"AllowS3ListRead","Effect":"Allow","Action":["s3:GetBucketLocation","s3:GetAccountPublicAccessBlock","s3:ListAccessPoints","s3:ListAllMyBuckets"],"Resource":"arn:aws:s3:::*"},
 {"Sid":"AllowS3Self","Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]},
 {"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::*log*"}]}`

const carlosBucket = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/carlossalazar"},"Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]}]}`

func TestUserGuideSameAccountExample(t *testing.T) {
	for _, sc := range []scenario{
		{name: "save to carlossalazar-logs: explicit deny", caller: carlos, identity: []string{carlosIdentity},
			action: "s3:PutObject", res: "arn:aws:s3:::carlossalazar-logs/file.txt", resAccount: "123456789012",
			want: ExplicitlyDenied, deniedBy: TypeIdentity, matched: []string{"identity0#DenyS3Logs:Deny"}},
		{name: "save to carlossalazar: both allow", caller: carlos, identity: []string{carlosIdentity}, resource: carlosBucket,
			action: "s3:PutObject", res: "arn:aws:s3:::carlossalazar/file.txt", resAccount: "123456789012",
			want: Allowed, matched: []string{"identity0#AllowS3Self:Allow", "resource#0:Allow"}},
		{name: "one of the two allowing is enough (resource only)", caller: carlos, resource: carlosBucket,
			action: "s3:PutObject", res: "arn:aws:s3:::carlossalazar/file.txt", resAccount: "123456789012", want: Allowed},
		{name: "one of the two allowing is enough (identity only)", caller: carlos, identity: []string{carlosIdentity},
			action: "s3:PutObject", res: "arn:aws:s3:::carlossalazar/file.txt", resAccount: "123456789012", want: Allowed},
	} {
		t.Run(sc.name, sc.run)
	}
}

func TestUserGuideCrossAccountExample(t *testing.T) {
	carlosA := Caller{Kind: IAMUser, ARN: "arn:aws:iam::111111111111:user/carlossalazar", Account: "111111111111", UserName: "carlossalazar"}
	identity := `{"Version":"2012-10-17","Statement":[
	 {"Sid":"AllowS3ListRead","Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"},
	 {"Sid":"AllowS3ProductionObjectActions","Effect":"Allow","Action":"s3:*Object*","Resource":"arn:aws:s3:::Production/*"},
	 {"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":["arn:aws:s3:::*log*","arn:aws:s3:::*log*/*"]}]}`
	bucket := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":["s3:GetObject*","s3:PutObject*","s3:ReplicateObject","s3:RestoreObject"],
	  "Principal":{"AWS":"arn:aws:iam::111111111111:user/carlossalazar"},"Resource":"arn:aws:s3:::Production/*"}]}`
	for _, sc := range []scenario{
		{name: "Production-logs: denied in the trusted account", caller: carlosA, identity: []string{identity},
			action: "s3:PutObject", res: "arn:aws:s3:::Production-logs/f", resAccount: "222222222222",
			want: ExplicitlyDenied, deniedBy: TypeIdentity},
		{name: "Production: both accounts allow", caller: carlosA, identity: []string{identity}, resource: bucket,
			action: "s3:PutObject", res: "arn:aws:s3:::Production/f", resAccount: "222222222222", want: Allowed},
		{name: "Production: the bucket policy does not allow deletes", caller: carlosA, identity: []string{identity}, resource: bucket,
			action: "s3:DeleteObject", res: "arn:aws:s3:::Production/f", resAccount: "222222222222",
			want: ImplicitlyDenied, missing: TypeResource},
	} {
		t.Run(sc.name, sc.run)
	}
}

// TestUserGuideExplicitImplicit is the AllowGetList/DenyReports example of
// "The difference between explicit and implicit denies".
func TestUserGuideExplicitImplicit(t *testing.T) {
	p := `{"Version":"2012-10-17","Statement":[
	 {"Sid":"AllowGetList","Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"},
	 {"Sid":"DenyReports","Effect":"Deny","Action":"iam:*Report","Resource":"*"}]}`
	for _, sc := range []scenario{
		{name: "iam:GetUser allowed", caller: alice, identity: []string{p}, action: "iam:GetUser", res: "*", want: Allowed},
		{name: "iam:CreatePolicy implicitly denied", caller: alice, identity: []string{p}, action: "iam:CreatePolicy", res: "*",
			want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "iam:GetOrganizationsAccessReport explicitly denied", caller: alice, identity: []string{p}, action: "iam:GetOrganizationsAccessReport", res: "*",
			want: ExplicitlyDenied, deniedBy: TypeIdentity, matched: []string{"identity0#AllowGetList:Allow", "identity0#DenyReports:Deny"}},
	} {
		t.Run(sc.name, sc.run)
	}
}

// TestUserGuideBoundaryExample is the Nikhil part of the delegation example
// in access_policies_boundaries: IAMFullAccess and S3 read-only limited by
// the XCompanyBoundaries boundary.
func TestUserGuideBoundaryExample(t *testing.T) {
	nikhil := Caller{Kind: IAMUser, ARN: "arn:aws:iam::123456789012:user/Nikhil", Account: "123456789012", UserName: "Nikhil"}
	boundary := `{"Version":"2012-10-17","Statement":[
	 {"Sid":"ServiceBoundaries","Effect":"Allow","Action":["s3:*","cloudwatch:*","ec2:*","dynamodb:*"],"Resource":"*"},
	 {"Sid":"AllowIAMConsoleForCredentials","Effect":"Allow","Action":["iam:ListUsers","iam:GetAccountPasswordPolicy"],"Resource":"*"},
	 {"Sid":"AllowManageOwnPasswordAndAccessKeys","Effect":"Allow","Action":["iam:*AccessKey*","iam:ChangePassword","iam:GetUser","iam:*ServiceSpecificCredential*","iam:*SigningCertificate*"],"Resource":["arn:aws:iam::*:user/${aws:username}"]},
	 {"Sid":"DenyS3Logs","Effect":"Deny","Action":"s3:*","Resource":["arn:aws:s3:::logs","arn:aws:s3:::logs/*"]},
	 {"Sid":"DenyEC2Production","Effect":"Deny","Action":"ec2:*","Resource":"arn:aws:ec2:*:*:instance/i-1234567890abcdef0"}]}`
	iamFull := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount"],"Resource":"*"}]}`
	s3Read := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}`
	logsPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/Nikhil"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::logs/*"}]}`
	secretPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/Nikhil"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	ids := []string{iamFull, s3Read}
	acct := "123456789012"
	for _, sc := range []scenario{
		{name: "change his own password", caller: nikhil, identity: ids, boundary: []string{boundary},
			action: "iam:ChangePassword", res: "arn:aws:iam::123456789012:user/Nikhil", resAccount: acct, want: Allowed},
		{name: "change someone else's password", caller: nikhil, identity: ids, boundary: []string{boundary},
			action: "iam:ChangePassword", res: "arn:aws:iam::123456789012:user/Zhang", resAccount: acct, want: ImplicitlyDenied, missing: TypeBoundary},
		{name: "create another user", caller: nikhil, identity: ids, boundary: []string{boundary},
			action: "iam:CreateUser", res: "arn:aws:iam::123456789012:user/x", resAccount: acct, want: ImplicitlyDenied, missing: TypeBoundary},
		{name: "read S3", caller: nikhil, identity: ids, boundary: []string{boundary},
			action: "s3:GetObject", res: "arn:aws:s3:::reports/q3", resAccount: acct, want: Allowed},
		{name: "write S3", caller: nikhil, identity: ids, boundary: []string{boundary},
			action: "s3:PutObject", res: "arn:aws:s3:::reports/q3", resAccount: acct, want: ImplicitlyDenied, missing: TypeIdentity},
		{name: "a bucket policy cannot override the boundary's deny on logs", caller: nikhil, identity: ids, boundary: []string{boundary}, resource: logsPolicy,
			action: "s3:PutObject", res: "arn:aws:s3:::logs/x", resAccount: acct, want: ExplicitlyDenied, deniedBy: TypeBoundary},
		{name: "a secret's policy grants outside the boundary", caller: nikhil, identity: ids, boundary: []string{boundary}, resource: secretPolicy,
			action: "secretsmanager:GetSecretValue", res: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db", resAccount: acct, want: Allowed},
	} {
		t.Run(sc.name, sc.run)
	}
}
