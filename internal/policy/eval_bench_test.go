package policy

import (
	"fmt"
	"strings"
	"testing"
)

// realisticPolicies returns ten identity-based policies of about ten
// statements each, shaped like the AWS managed and customer policies a
// developer role typically carries: per-service read/write grants, ARN
// patterns, tag and network conditions, and a couple of guard-rail denies.
func realisticPolicies(tb testing.TB) []*Compiled {
	tb.Helper()
	docs := []string{
		// 0: S3 application data.
		`{"Version":"2012-10-17","Statement":[
		 {"Sid":"ListBuckets","Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:GetBucketLocation"],"Resource":"*"},
		 {"Sid":"ListAppBucket","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::app-data","Condition":{"StringLike":{"s3:prefix":["reports/*","home/${aws:username}/*"]}}},
		 {"Sid":"ReadReports","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:GetObjectTagging"],"Resource":"arn:aws:s3:::app-data/reports/*"},
		 {"Sid":"HomeFolder","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::app-data/home/${aws:username}/*"},
		 {"Sid":"WriteUploads","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::app-uploads/*","Condition":{"StringEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}},
		 {"Sid":"Logs","Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::app-logs-*/AWSLogs/111122223333/*"},
		 {"Sid":"DenyUnencrypted","Effect":"Deny","Action":"s3:PutObject","Resource":"*","Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}},
		 {"Sid":"DenyInsecure","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},
		 {"Sid":"Tagging","Effect":"Allow","Action":["s3:PutObjectTagging"],"Resource":"arn:aws:s3:::app-data/*","Condition":{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]}}},
		 {"Sid":"Inventory","Effect":"Allow","Action":"s3:GetInventoryConfiguration","Resource":"arn:aws:s3:::app-*"}]}`,
		// 1: DynamoDB.
		`{"Version":"2012-10-17","Statement":[
		 {"Sid":"Tables","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query","dynamodb:Scan","dynamodb:BatchGetItem"],"Resource":"arn:aws:dynamodb:*:111122223333:table/app-*"},
		 {"Sid":"Indexes","Effect":"Allow","Action":["dynamodb:Query"],"Resource":"arn:aws:dynamodb:*:111122223333:table/app-*/index/*"},
		 {"Sid":"Write","Effect":"Allow","Action":["dynamodb:PutItem","dynamodb:UpdateItem","dynamodb:DeleteItem"],"Resource":"arn:aws:dynamodb:us-east-1:111122223333:table/app-sessions","Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:userid}"]}}},
		 {"Sid":"Attrs","Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:*:*:table/Thread","Condition":{"ForAllValues:StringEquals":{"dynamodb:Attributes":["ID","Message","Tags"]}}},
		 {"Sid":"Describe","Effect":"Allow","Action":["dynamodb:DescribeTable","dynamodb:ListTables"],"Resource":"*"},
		 {"Sid":"Streams","Effect":"Allow","Action":["dynamodb:GetRecords","dynamodb:GetShardIterator","dynamodb:DescribeStream"],"Resource":"arn:aws:dynamodb:*:111122223333:table/app-*/stream/*"},
		 {"Sid":"Backups","Effect":"Allow","Action":"dynamodb:CreateBackup","Resource":"arn:aws:dynamodb:*:111122223333:table/app-*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"data"}}},
		 {"Sid":"DenyDelete","Effect":"Deny","Action":"dynamodb:DeleteTable","Resource":"*"},
		 {"Sid":"TTL","Effect":"Allow","Action":"dynamodb:DescribeTimeToLive","Resource":"*"},
		 {"Sid":"Tags","Effect":"Allow","Action":"dynamodb:ListTagsOfResource","Resource":"*"}]}`,
		// 2: EC2 read-only and tag-scoped control.
		`{"Version":"2012-10-17","Statement":[
		 {"Sid":"Describe","Effect":"Allow","Action":"ec2:Describe*","Resource":"*"},
		 {"Sid":"StartStop","Effect":"Allow","Action":["ec2:StartInstances","ec2:StopInstances","ec2:RebootInstances"],"Resource":"arn:aws:ec2:*:111122223333:instance/*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}},
		 {"Sid":"Run","Effect":"Allow","Action":"ec2:RunInstances","Resource":"*","Condition":{"StringLikeIfExists":{"ec2:InstanceType":["t3.*","m5.*"]}}},
		 {"Sid":"TagOnCreate","Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"StringEquals":{"ec2:CreateAction":"RunInstances"}}},
		 {"Sid":"Volumes","Effect":"Allow","Action":["ec2:AttachVolume","ec2:DetachVolume"],"Resource":["arn:aws:ec2:*:111122223333:volume/*","arn:aws:ec2:*:111122223333:instance/*"]},
		 {"Sid":"Snapshots","Effect":"Allow","Action":"ec2:CreateSnapshot","Resource":"*"},
		 {"Sid":"DenyRegions","Effect":"Deny","Action":"ec2:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}},
		 {"Sid":"DenyTerminateProd","Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"prod"}}},
		 {"Sid":"SG","Effect":"Allow","Action":["ec2:AuthorizeSecurityGroupIngress","ec2:RevokeSecurityGroupIngress"],"Resource":"arn:aws:ec2:*:111122223333:security-group/*"},
		 {"Sid":"KeyPairs","Effect":"Allow","Action":"ec2:CreateKeyPair","Resource":"*"}]}`,
		// 3: CloudWatch Logs and metrics.
		`{"Version":"2012-10-17","Statement":[
		 {"Sid":"Groups","Effect":"Allow","Action":["logs:CreateLogGroup","logs:DescribeLogGroups"],"Resource":"*"},
		 {"Sid":"Streams","Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:*:111122223333:log-group:/app/*:*"},
		 {"Sid":"Read","Effect":"Allow","Action":["logs:GetLogEvents","logs:FilterLogEvents"],"Resource":"arn:aws:logs:*:111122223333:log-group:*"},
		 {"Sid":"Insights","Effect":"Allow","Action":["logs:StartQuery","logs:GetQueryResults"],"Resource":"*"},
		 {"Sid":"Metrics","Effect":"Allow","Action":["cloudwatch:PutMetricData"],"Resource":"*","Condition":{"StringEquals":{"cloudwatch:namespace":"App"}}},
		 {"Sid":"MetricsRead","Effect":"Allow","Action":["cloudwatch:GetMetricData","cloudwatch:ListMetrics","cloudwatch:GetMetricStatistics"],"Resource":"*"},
		 {"Sid":"Alarms","Effect":"Allow","Action":["cloudwatch:DescribeAlarms"],"Resource":"*"},
		 {"Sid":"Dashboards","Effect":"Allow","Action":["cloudwatch:GetDashboard","cloudwatch:ListDashboards"],"Resource":"*"},
		 {"Sid":"DenyDeleteGroups","Effect":"Deny","Action":"logs:DeleteLogGroup","Resource":"*"},
		 {"Sid":"Retention","Effect":"Allow","Action":"logs:PutRetentionPolicy","Resource":"*","Condition":{"NumericLessThanEquals":{"logs:RetentionInDays":"90"}}}]}`,
		// 4: KMS.
		`{"Version":"2012-10-17","Statement":[
		 {"Sid":"Use","Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt","kms:GenerateDataKey*"],"Resource":"arn:aws:kms:us-east-1:111122223333:key/*","Condition":{"StringLike":{"kms:ViaService":["s3.*.amazonaws.com","dynamodb.*.amazonaws.com"]}}},
		 {"Sid":"Describe","Effect":"Allow","Action":["kms:DescribeKey","kms:ListAliases","kms:ListKeys"],"Resource":"*"},
		 {"Sid":"Grants","Effect":"Allow","Action":"kms:CreateGrant","Resource":"*","Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}},
		 {"Sid":"Context","Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:app":"billing"}}},
		 {"Sid":"DenyDisable","Effect":"Deny","Action":["kms:DisableKey","kms:ScheduleKeyDeletion"],"Resource":"*"},
		 {"Sid":"Sign","Effect":"Allow","Action":"kms:Sign","Resource":"arn:aws:kms:*:111122223333:key/*","Condition":{"StringEquals":{"kms:SigningAlgorithm":"ECDSA_SHA_256"}}},
		 {"Sid":"Verify","Effect":"Allow","Action":"kms:Verify","Resource":"*"},
		 {"Sid":"Rotate","Effect":"Allow","Action":"kms:GetKeyRotationStatus","Resource":"*"},
		 {"Sid":"Tags","Effect":"Allow","Action":"kms:ListResourceTags","Resource":"*"},
		 {"Sid":"Policy","Effect":"Allow","Action":"kms:GetKeyPolicy","Resource":"*"}]}`,
		// 5: SQS and SNS.
		`{"Version":"2012-10-17","Statement":[
		 {"Sid":"Consume","Effect":"Allow","Action":["sqs:ReceiveMessage","sqs:DeleteMessage","sqs:ChangeMessageVisibility"],"Resource":"arn:aws:sqs:us-east-1:111122223333:app-*"},
		 {"Sid":"Produce","Effect":"Allow","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:*:111122223333:app-*"},
		 {"Sid":"QueueAttrs","Effect":"Allow","Action":["sqs:GetQueueAttributes","sqs:GetQueueUrl","sqs:ListQueues"],"Resource":"*"},
		 {"Sid":"DenyPurge","Effect":"Deny","Action":"sqs:PurgeQueue","Resource":"*"},
		 {"Sid":"Publish","Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:*:111122223333:app-*"},
		 {"Sid":"Subscribe","Effect":"Allow","Action":"sns:Subscribe","Resource":"*","Condition":{"StringEquals":{"sns:Protocol":"https"},"StringLike":{"sns:Endpoint":"https://hooks.example.com/${aws:username}/*"}}},
		 {"Sid":"Topics","Effect":"Allow","Action":["sns:ListTopics","sns:GetTopicAttributes"],"Resource":"*"},
		 {"Sid":"SQSTags","Effect":"Allow","Action":"sqs:ListQueueTags","Resource":"*"},
		 {"Sid":"SNSTags","Effect":"Allow","Action":"sns:ListTagsForResource","Resource":"*"},
		 {"Sid":"DLQ","Effect":"Allow","Action":"sqs:ListDeadLetterSourceQueues","Resource":"*"}]}`,
		// 6: Lambda.
		`{"Version":"2012-10-17","Statement":[
		 {"Sid":"Invoke","Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:*:111122223333:function:app-*"},
		 {"Sid":"Read","Effect":"Allow","Action":["lambda:GetFunction","lambda:ListFunctions","lambda:GetFunctionConfiguration"],"Resource":"*"},
		 {"Sid":"Deploy","Effect":"Allow","Action":["lambda:UpdateFunctionCode","lambda:PublishVersion"],"Resource":"arn:aws:lambda:*:111122223333:function:app-*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"platform"}}},
		 {"Sid":"Aliases","Effect":"Allow","Action":["lambda:UpdateAlias","lambda:GetAlias"],"Resource":"arn:aws:lambda:*:111122223333:function:app-*:*"},
		 {"Sid":"Layers","Effect":"Allow","Action":"lambda:GetLayerVersion","Resource":"*"},
		 {"Sid":"PassRole","Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/app-lambda-*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}},
		 {"Sid":"DenyURL","Effect":"Deny","Action":"lambda:CreateFunctionUrlConfig","Resource":"*","Condition":{"StringEquals":{"lambda:FunctionUrlAuthType":"NONE"}}},
		 {"Sid":"Concurrency","Effect":"Allow","Action":"lambda:GetFunctionConcurrency","Resource":"*"},
		 {"Sid":"Events","Effect":"Allow","Action":"lambda:ListEventSourceMappings","Resource":"*"},
		 {"Sid":"Tags","Effect":"Allow","Action":"lambda:ListTags","Resource":"*"}]}`,
		// 7: IAM self-service (the User Guide's "manage own credentials").
		`{"Version":"2012-10-17","Statement":[
		 {"Sid":"ViewAccountInfo","Effect":"Allow","Action":["iam:GetAccountPasswordPolicy","iam:GetAccountSummary","iam:ListVirtualMFADevices"],"Resource":"*"},
		 {"Sid":"ManageOwnPasswords","Effect":"Allow","Action":["iam:ChangePassword","iam:GetUser"],"Resource":"arn:aws:iam::*:user/${aws:username}"},
		 {"Sid":"ManageOwnAccessKeys","Effect":"Allow","Action":["iam:CreateAccessKey","iam:DeleteAccessKey","iam:ListAccessKeys","iam:UpdateAccessKey"],"Resource":"arn:aws:iam::*:user/${aws:username}"},
		 {"Sid":"ManageOwnSSHKeys","Effect":"Allow","Action":["iam:DeleteSSHPublicKey","iam:GetSSHPublicKey","iam:ListSSHPublicKeys","iam:UploadSSHPublicKey"],"Resource":"arn:aws:iam::*:user/${aws:username}"},
		 {"Sid":"ManageOwnVirtualMFA","Effect":"Allow","Action":["iam:CreateVirtualMFADevice","iam:DeleteVirtualMFADevice"],"Resource":"arn:aws:iam::*:mfa/${aws:username}"},
		 {"Sid":"ManageOwnMFA","Effect":"Allow","Action":["iam:EnableMFADevice","iam:ListMFADevices","iam:ResyncMFADevice"],"Resource":"arn:aws:iam::*:user/${aws:username}"},
		 {"Sid":"DenyAllExceptListedIfNoMFA","Effect":"Deny","NotAction":["iam:CreateVirtualMFADevice","iam:EnableMFADevice","iam:GetUser","iam:ListMFADevices","iam:ListVirtualMFADevices","iam:ResyncMFADevice","sts:GetSessionToken"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}},
		 {"Sid":"OwnTags","Effect":"Allow","Action":"iam:ListUserTags","Resource":"arn:aws:iam::*:user/${aws:username}"},
		 {"Sid":"OwnPolicies","Effect":"Allow","Action":["iam:ListAttachedUserPolicies","iam:ListUserPolicies","iam:ListGroupsForUser"],"Resource":"arn:aws:iam::*:user/${aws:username}"},
		 {"Sid":"ServiceCreds","Effect":"Allow","Action":["iam:ListServiceSpecificCredentials"],"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`,
		// 8: Network and time guard rails.
		`{"Version":"2012-10-17","Statement":[
		 {"Sid":"DenyOutsideCorp","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24","2001:db8::/32"]},"Bool":{"aws:ViaAWSService":"false"}}},
		 {"Sid":"DenyAfterProject","Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2030-12-31T23:59:59Z"}}},
		 {"Sid":"DenyOtherOrgs","Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:ResourceOrgID":"o-exampleorg"}}},
		 {"Sid":"STS","Effect":"Allow","Action":["sts:GetCallerIdentity","sts:GetSessionToken"],"Resource":"*"},
		 {"Sid":"Tagged","Effect":"Allow","Action":"tag:GetResources","Resource":"*"},
		 {"Sid":"Health","Effect":"Allow","Action":"health:Describe*","Resource":"*"},
		 {"Sid":"Support","Effect":"Allow","Action":"support:*","Resource":"*"},
		 {"Sid":"Pricing","Effect":"Allow","Action":"pricing:GetProducts","Resource":"*"},
		 {"Sid":"CE","Effect":"Allow","Action":"ce:GetCostAndUsage","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/role":"finance"}}},
		 {"Sid":"Budgets","Effect":"Allow","Action":"budgets:ViewBudget","Resource":"*"}]}`,
		// 9: Secrets, parameters and ECR.
		`{"Version":"2012-10-17","Statement":[
		 {"Sid":"Secrets","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:111122223333:secret:app/*","Condition":{"StringEquals":{"secretsmanager:ResourceTag/team":"${aws:PrincipalTag/team}"}}},
		 {"Sid":"ListSecrets","Effect":"Allow","Action":"secretsmanager:ListSecrets","Resource":"*"},
		 {"Sid":"Params","Effect":"Allow","Action":["ssm:GetParameter","ssm:GetParameters","ssm:GetParametersByPath"],"Resource":"arn:aws:ssm:*:111122223333:parameter/app/*"},
		 {"Sid":"DescribeParams","Effect":"Allow","Action":"ssm:DescribeParameters","Resource":"*"},
		 {"Sid":"ECRAuth","Effect":"Allow","Action":"ecr:GetAuthorizationToken","Resource":"*"},
		 {"Sid":"ECRPull","Effect":"Allow","Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer","ecr:BatchCheckLayerAvailability"],"Resource":"arn:aws:ecr:*:111122223333:repository/app/*"},
		 {"Sid":"ECRPush","Effect":"Allow","Action":["ecr:PutImage","ecr:InitiateLayerUpload","ecr:UploadLayerPart","ecr:CompleteLayerUpload"],"Resource":"arn:aws:ecr:*:111122223333:repository/app/*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"platform"}}},
		 {"Sid":"DenySecretDelete","Effect":"Deny","Action":"secretsmanager:DeleteSecret","Resource":"*"},
		 {"Sid":"SessionManager","Effect":"Allow","Action":"ssm:StartSession","Resource":"arn:aws:ec2:*:111122223333:instance/*","Condition":{"StringEquals":{"ssm:resourceTag/team":"${aws:PrincipalTag/team}"}}},
		 {"Sid":"ECRDescribe","Effect":"Allow","Action":"ecr:DescribeRepositories","Resource":"*"}]}`,
	}
	var out []*Compiled
	for i, src := range docs {
		out = append(out, compileJSON(tb, TypeIdentity, fmt.Sprintf("arn:aws:iam::111122223333:policy/p%d", i), src))
	}
	return out
}

// typicalRequest is an IAM user reading a report over TLS from the
// corporate network, with the context a server fills for every request.
func typicalRequest() *Request {
	r := &Request{
		Caller: Caller{Kind: IAMUser, ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333",
			UserName: "alice", UserID: "AIDAEXAMPLEALICE"},
		Action:          "s3:GetObject",
		Resource:        "arn:aws:s3:::app-data/reports/2026/q3.csv",
		ResourceAccount: "111122223333",
	}
	r.Context.Add("aws:SourceIp", "203.0.113.41")
	r.Context.Add("aws:SecureTransport", "true")
	r.Context.Add("aws:CurrentTime", "2026-11-22T07:30:00Z")
	r.Context.Add("aws:EpochTime", "1795339800")
	r.Context.Add("aws:MultiFactorAuthPresent", "true")
	r.Context.Add("aws:ViaAWSService", "false")
	r.Context.Add("aws:RequestedRegion", "us-east-1")
	r.Context.Add("aws:PrincipalTag/team", "data")
	r.Context.Add("aws:PrincipalTag/role", "analyst")
	r.Context.Add("aws:ResourceOrgID", "o-exampleorg")
	r.Context.Add("s3:ExistingObjectTag/classification", "internal")
	return r
}

func TestBenchmarkScenarioAllows(t *testing.T) {
	set, err := NewSet(realisticPolicies(t)...)
	if err != nil {
		t.Fatal(err)
	}
	d := set.Evaluate(typicalRequest(), nil)
	if d.Outcome != Allowed {
		t.Fatalf("decision = %v (%s), want Allowed", d.Outcome, d.Reason)
	}
	got := fmt.Sprint(d.Matched)
	if !strings.Contains(got, "ReadReports") {
		t.Errorf("matched = %v, want ReadReports among them", got)
	}
	if n := testing.AllocsPerRun(100, func() { set.EvaluateInto(&d, typicalRequest2, nil) }); n != 0 {
		t.Errorf("EvaluateInto allocates %v times per call on the allow path, want 0", n)
	}
}

var typicalRequest2 = typicalRequest()

// BenchmarkEvaluate: a principal with ten realistic policies (100
// statements) and a typical allowed S3 request.
func BenchmarkEvaluate(b *testing.B) {
	set, err := NewSet(realisticPolicies(b)...)
	if err != nil {
		b.Fatal(err)
	}
	req := typicalRequest()
	var d Decision
	set.EvaluateInto(&d, req, nil)
	if d.Outcome != Allowed {
		b.Fatalf("decision = %v (%s)", d.Outcome, d.Reason)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		set.EvaluateInto(&d, req, nil)
	}
}

// BenchmarkEvaluateUnrelatedPolicies: the same request with 100 and 1000
// further policies whose actions are all in other services. The action
// index keeps the cost flat.
func BenchmarkEvaluateUnrelatedPolicies(b *testing.B) {
	for _, extra := range []int{0, 100, 1000} {
		b.Run(fmt.Sprintf("extra=%d", extra), func(b *testing.B) {
			policies := realisticPolicies(b)
			services := []string{"ec2", "dynamodb", "kms", "sqs", "sns", "lambda", "logs", "rds", "glue", "athena"}
			for i := 0; i < extra; i++ {
				svc := services[i%len(services)]
				src := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
				 {"Sid":"A","Effect":"Allow","Action":["%[1]s:Get*","%[1]s:List*"],"Resource":"arn:aws:%[1]s:*:111122223333:thing%[2]d/*"},
				 {"Sid":"B","Effect":"Allow","Action":"%[1]s:Describe*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"t%[2]d"}}},
				 {"Sid":"C","Effect":"Deny","Action":"%[1]s:Delete*","Resource":"*"}]}`, svc, i)
				policies = append(policies, compileJSON(b, TypeIdentity, fmt.Sprintf("extra%d", i), src))
			}
			set, err := NewSet(policies...)
			if err != nil {
				b.Fatal(err)
			}
			req := typicalRequest()
			var d Decision
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				set.EvaluateInto(&d, req, nil)
			}
			if d.Outcome != Allowed {
				b.Fatalf("decision = %v (%s)", d.Outcome, d.Reason)
			}
		})
	}
}

// BenchmarkEvaluateWithResourcePolicy adds a bucket policy to the typical
// request (a resource-based policy is looked up per resource).
func BenchmarkEvaluateWithResourcePolicy(b *testing.B) {
	set, err := NewSet(realisticPolicies(b)...)
	if err != nil {
		b.Fatal(err)
	}
	bucket := compileJSON(b, TypeResource, "bucket", `{"Version":"2012-10-17","Statement":[
	 {"Sid":"DenyInsecure","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::app-data","arn:aws:s3:::app-data/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}},
	 {"Sid":"Analysts","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:role/analyst"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::app-data/reports/*"},
	 {"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::app-data/shared/*"}]}`)
	req := typicalRequest()
	var d Decision
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		set.EvaluateInto(&d, req, bucket)
	}
	if d.Outcome != Allowed {
		b.Fatalf("decision = %v (%s)", d.Outcome, d.Reason)
	}
}

// BenchmarkEvaluateImplicitDeny: the typical request for an action none of
// the ten policies allows (the deny path walks the same candidates).
func BenchmarkEvaluateImplicitDeny(b *testing.B) {
	set, err := NewSet(realisticPolicies(b)...)
	if err != nil {
		b.Fatal(err)
	}
	req := typicalRequest()
	req.Action = "s3:DeleteBucket"
	var d Decision
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		set.EvaluateInto(&d, req, nil)
	}
	if d.Outcome != ImplicitlyDenied {
		b.Fatalf("decision = %v (%s)", d.Outcome, d.Reason)
	}
}

// BenchmarkEvaluateRoleSession: a role session whose role has the ten
// policies, a permissions boundary and a session policy.
func BenchmarkEvaluateRoleSession(b *testing.B) {
	policies := realisticPolicies(b)
	policies = append(policies,
		compileJSON(b, TypeBoundary, "boundary", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","dynamodb:*","logs:*","kms:*"],"Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":["arn:aws:s3:::logs","arn:aws:s3:::logs/*"]}]}`),
		compileJSON(b, TypeSession, "session", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::app-data/*"}]}`))
	set, err := NewSet(policies...)
	if err != nil {
		b.Fatal(err)
	}
	req := typicalRequest()
	req.Caller = Caller{Kind: AssumedRole, ARN: "arn:aws:sts::111122223333:assumed-role/analyst/alice",
		SessionIssuer: "arn:aws:iam::111122223333:role/analyst", Account: "111122223333", UserID: "AROAEXAMPLE:alice"}
	var d Decision
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		set.EvaluateInto(&d, req, nil)
	}
	if d.Outcome != Allowed {
		b.Fatalf("decision = %v (%s)", d.Outcome, d.Reason)
	}
}

// BenchmarkCompile: compiling the ten realistic policies (done once per
// policy version, not per request).
func BenchmarkCompile(b *testing.B) {
	doc, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[
	 {"Sid":"Tables","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"arn:aws:dynamodb:*:111122223333:table/app-*"},
	 {"Sid":"Home","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::app-data/home/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}},
	 {"Sid":"Deny","Effect":"Deny","NotAction":["iam:GetUser","sts:GetSessionToken"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(doc, TypeIdentity, "p"); err != nil {
			b.Fatal(err)
		}
	}
}
