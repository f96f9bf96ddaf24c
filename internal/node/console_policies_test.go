package node

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/vectortest"
)

// TestConsolePolicies: a managed policy created with the policy pages,
// viewed with its document, given a second version that becomes the
// default, then the first made the default again; its HTML is escaped;
// the simulator shows the deciding statement marked in the policy's
// text, for custom policies and for a user's attached policy.
func TestConsolePolicies(t *testing.T) {
	b := startConsoleNode(t)
	b.signIn("admin")

	code, body := b.get("/console/policies/new")
	if code != http.StatusOK || !strings.Contains(body, `<textarea class="code" id="pe-PolicyDocument-doc" name="PolicyDocument" data-policy-type="identity"`) {
		t.Fatalf("new policy page: %d %s", code, body)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}]}`
	code, body = b.post("/console/policies/new", url.Values{"PolicyName": {"ReadReports"}, "Path": {"/"},
		"Description": {"<b>reports</b> <script>alert(1)</script>"}, "PolicyDocument": {doc},
		"Tags.member.1.Key": {"team"}, "Tags.member.1.Value": {"data/reports"}})
	if code != http.StatusOK || !strings.Contains(body, "Policy ReadReports created.") {
		t.Fatalf("create: %d %s", code, body)
	}
	for _, want := range []string{"&lt;b&gt;reports&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;", "<td>data/reports</td>",
		`<pre class="policy"`, "  &#34;Version&#34;: &#34;2012-10-17&#34;", "Not attached to any user, group or role."} {
		if !strings.Contains(body, want) {
			t.Errorf("the policy page lacks %s", want)
		}
	}
	if strings.Contains(body, "<b>reports</b>") || strings.Contains(body, "<script>alert(1)") {
		t.Error("the policy page holds unescaped HTML")
	}
	arn := "arn:aws:iam::" + testAccount + ":policy/ReadReports"
	view := "/console/policies/view?arn=" + url.QueryEscape(arn)

	doc2 := `{"Version":"2012-10-17","Statement":[{"Sid":"ReadAll","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	code, body = b.post("/console/policies/create-version?arn="+url.QueryEscape(arn), url.Values{"PolicyDocument": {doc2}, "SetAsDefault": {"true"}})
	if code != http.StatusOK || !strings.Contains(body, "Version v2 created.") || !strings.Contains(body, "version v2 (default)") ||
		!strings.Contains(body, "ReadAll") {
		t.Fatalf("create version: %d %s", code, body)
	}
	code, body = b.post("/console/policies/set-default?arn="+url.QueryEscape(arn), url.Values{"VersionId": {"v1"}})
	if code != http.StatusOK || !strings.Contains(body, "Version v1 is now the default.") || !strings.Contains(body, "version v1 (default)") {
		t.Fatalf("set default: %d %s", code, body)
	}
	// An invalid document is refused with IAM's message, beside the form.
	code, body = b.post("/console/policies/create-version?arn="+url.QueryEscape(arn), url.Values{"PolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`}})
	if code != http.StatusBadRequest || !strings.Contains(body, "Policy statement must contain resources.") {
		t.Errorf("invalid version: %d %s", code, body)
	}
	code, body = b.get("/console/policies?scope=Local")
	if code != http.StatusOK || !strings.Contains(body, ">ReadReports</a>") || !strings.Contains(body, "<td>Customer managed</td>") {
		t.Errorf("list: %d %s", code, body)
	}
	if code, body := b.get("/console/policies?scope=AWS"); code != http.StatusOK || !strings.Contains(body, ">IAMReadOnlyAccess</a>") ||
		strings.Contains(body, ">ReadReports</a>") || !strings.Contains(body, "<td>AWS managed</td>") {
		t.Errorf("AWS managed policies: %d %s", code, body)
	}
	if code, body := b.get(view + "&version=v2"); code != http.StatusOK || !strings.Contains(body, "version v2</h2>") {
		t.Errorf("version v2: %d %s", code, body)
	}

	// A Sid with HTML: IAM refuses it (only alphanumerics); the form shows
	// the document again, escaped.
	code, body = b.post("/console/policies/new", url.Values{"PolicyName": {"HTMLSid"},
		"PolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Sid":"<b>x</b>","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`}})
	if strings.Contains(body, "<b>x</b>") || !strings.Contains(body, "&lt;b&gt;x&lt;/b&gt;") {
		t.Errorf("a Sid with HTML: %d, not escaped", code)
	}

	// The simulator: the custom policy's deciding statement is marked.
	sim := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Sid\": \"List\", \"Effect\": \"Allow\", \"Action\": \"s3:ListBucket\", \"Resource\": \"*\"},\n    {\"Sid\": \"NoDelete\", \"Effect\": \"Deny\", \"Action\": \"s3:DeleteObject\", \"Resource\": \"*\"}\n  ]\n}"
	b.get("/console/simulator")
	code, body = b.post("/console/simulator", url.Values{"PolicyInputList.member.1": {sim}, "ActionNames": {"s3:ListBucket,\ns3:DeleteObject"}})
	if code != http.StatusOK {
		t.Fatalf("simulator: %d %s", code, body)
	}
	for _, want := range []string{
		"<mark>{&#34;Sid&#34;: &#34;List&#34;, &#34;Effect&#34;: &#34;Allow&#34;, &#34;Action&#34;: &#34;s3:ListBucket&#34;, &#34;Resource&#34;: &#34;*&#34;}</mark>",
		"<mark>{&#34;Sid&#34;: &#34;NoDelete&#34;, &#34;Effect&#34;: &#34;Deny&#34;, &#34;Action&#34;: &#34;s3:DeleteObject&#34;, &#34;Resource&#34;: &#34;*&#34;}</mark>",
		`class="decision-allowed">allowed<`, `class="decision-denied">explicitDeny<`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the simulator's results lack %s", want)
		}
	}

	// A named resource's missing context keys (listed by IAM in its
	// ResourceSpecificResults entry) are shown.
	code, body = b.post("/console/simulator", url.Values{
		"PolicyInputList.member.1": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`},
		"ActionNames":              {"s3:GetObject"}, "ResourceArns": {"arn:aws:s3:::reports/q1.csv"}})
	if code != http.StatusOK || !strings.Contains(body, "Missing context values: aws:SecureTransport") {
		t.Errorf("missing keys of a named resource: %d %s", code, body)
	}

	// A resource-based policy's deciding statement is marked in it.
	code, body = b.post("/console/simulator", url.Values{
		"PolicyInputList.member.1": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`},
		"ResourcePolicy":           {`{"Version":"2012-10-17","Statement":[{"Sid":"NoReports","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}]}`},
		"CallerArn":                {"arn:aws:iam::" + testAccount + ":user/carol"},
		"ActionNames":              {"s3:GetObject"}, "ResourceArns": {"arn:aws:s3:::reports/q1.csv"}})
	if code != http.StatusOK || !strings.Contains(body, `class="decision-denied">explicitDeny<`) ||
		!strings.Contains(body, "<strong>ResourcePolicy</strong>") || !strings.Contains(body, "<mark>{&#34;Sid&#34;:&#34;NoReports&#34;") {
		t.Errorf("a resource-based policy: %d %s", code, body)
	}

	// A user's attached policy, simulated by principal: its default
	// version's statement is marked.
	b.iam("Action=CreateUser&Version=2010-05-08&UserName=bob")
	b.iam("Action=AttachUserPolicy&Version=2010-05-08&UserName=bob&PolicyArn=" + url.QueryEscape(arn))
	code, body = b.post("/console/simulator", url.Values{"PolicySourceArn": {"arn:aws:iam::" + testAccount + ":user/bob"},
		"ActionNames": {"s3:GetObject"}, "ResourceArns": {"arn:aws:s3:::reports/q1.csv"}})
	if code != http.StatusOK || !strings.Contains(body, "<strong>ReadReports</strong>") ||
		!strings.Contains(body, "<mark>{&#34;Sid&#34;:&#34;Read&#34;,") {
		t.Errorf("principal simulation: %d %s", code, body)
	}
	// A policy of one of the user's groups: found through its groups.
	b.iam("Action=CreateGroup&Version=2010-05-08&GroupName=readers")
	b.iam("Action=AddUserToGroup&Version=2010-05-08&GroupName=readers&UserName=bob")
	b.iam("Action=PutGroupPolicy&Version=2010-05-08&GroupName=readers&PolicyName=ListAll&PolicyDocument=" +
		url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`))
	code, body = b.post("/console/simulator", url.Values{"PolicySourceArn": {"arn:aws:iam::" + testAccount + ":user/bob"}, "ActionNames": {"s3:ListAllMyBuckets"}})
	if code != http.StatusOK || !strings.Contains(body, "<strong>group_readers_ListAll</strong> <span class=\"help\">(IAM Policy,") ||
		!strings.Contains(body, "<mark>{&#34;Effect&#34;:&#34;Allow&#34;,&#34;Action&#34;:&#34;s3:ListAllMyBuckets&#34;") {
		t.Errorf("a group's policy: %d %s", code, body)
	}
	if code, body := b.get(view); code != http.StatusOK || !strings.Contains(body, `<a href="/console/users/bob">bob</a>`) {
		t.Errorf("where attached: %d %s", code, body)
	}
}

// TestConsolePolicyValidate: the editor's validate endpoint answers with
// the validator's messages and positions, and refuses a request without
// the CSRF token.
func TestConsolePolicyValidate(t *testing.T) {
	b := startConsoleNode(t)
	b.signIn("admin")
	post := func(token, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, b.n.URL()+"/console/api/policy/validate", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", b.n.URL())
		if token != "" {
			req.Header.Set("X-CSRF-Token", token)
		}
		return b.read(b.c.Do(req))
	}
	in, _ := json.Marshal(map[string]string{"type": "trust", "document": "{\"Version\":\"2012-10-17\",\n\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\"}]}"})
	token := b.csrf
	if code, _ := post("", string(in)); code != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d, want 403", code)
	}
	code, body := post(token, string(in))
	var out struct {
		Errors []struct {
			Message      string
			Line, Column int
		}
	}
	if err := json.Unmarshal([]byte(body), &out); code != http.StatusOK || err != nil {
		t.Fatalf("validate: %d %s", code, body)
	}
	if len(out.Errors) != 1 || out.Errors[0].Message != "Missing required field Principal" || out.Errors[0].Line != 2 || out.Errors[0].Column != 14 {
		t.Errorf("validate = %+v, want Missing required field Principal at 2:14", out.Errors)
	}
	if code, body := b.get("/console/api/services"); code != http.StatusOK || body != `{"services":[]}` {
		t.Errorf("services without a reference: %d %s", code, body)
	}
}

// TestConsoleServiceReference: with console.service_reference set, the
// generator's endpoints list the reference's services, and a service's
// actions with the ARN templates of the resources they act on.
func TestConsoleServiceReference(t *testing.T) {
	dir := vectortest.Dir(t, "iam-service-reference-iam-data/data")
	b := startConsoleNode(t, "BREVET_CONSOLE_SERVICE_REFERENCE="+dir)
	b.signIn("admin")
	code, body := b.get("/console/api/services")
	var list struct{ Services []string }
	if err := json.Unmarshal([]byte(body), &list); code != http.StatusOK || err != nil || !slices.Contains(list.Services, "s3") {
		t.Fatalf("services: %d %.200s", code, body)
	}
	code, body = b.get("/console/api/services/s3")
	var svc struct {
		Prefix  string
		Actions []struct {
			Name          string
			ResourceTypes []struct{ Name, ARN string }
		}
		ConditionKeys []struct{ Key, Type string }
	}
	if err := json.Unmarshal([]byte(body), &svc); code != http.StatusOK || err != nil || svc.Prefix != "s3" {
		t.Fatalf("s3: %d %.200s", code, body)
	}
	var arn string
	for _, a := range svc.Actions {
		for _, rt := range a.ResourceTypes {
			if a.Name == "GetObject" && rt.Name == "object" {
				arn = rt.ARN
			}
		}
	}
	if arn != "arn:${Partition}:s3:::${BucketName}/${ObjectName}" {
		t.Errorf("s3:GetObject's object ARN = %q", arn)
	}
	if code, _ := b.get("/console/api/services/nosuchservice"); code != http.StatusNotFound {
		t.Errorf("an unknown service: %d, want 404", code)
	}
}

// TestConsoleSimulatorBoundary: a permissions boundary's deciding
// statement is marked in the boundary's text, though the boundary is not
// attached to the user.
func TestConsoleSimulatorBoundary(t *testing.T) {
	b := startConsoleNode(t)
	b.signIn("admin")
	b.iam("Action=CreatePolicy&Version=2010-05-08&PolicyName=S3Only&PolicyDocument=" +
		url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Sid":"OnlyS3","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`))
	b.iam("Action=CreateUser&Version=2010-05-08&UserName=carol")
	b.iam("Action=PutUserPermissionsBoundary&Version=2010-05-08&UserName=carol&PermissionsBoundary=" +
		url.QueryEscape("arn:aws:iam::"+testAccount+":policy/S3Only"))
	b.iam("Action=PutUserPolicy&Version=2010-05-08&UserName=carol&PolicyName=Everything&PolicyDocument=" +
		url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	b.get("/console/simulator")
	code, body := b.post("/console/simulator", url.Values{"PolicySourceArn": {"arn:aws:iam::" + testAccount + ":user/carol"}, "ActionNames": {"s3:GetObject"}})
	if code != http.StatusOK || !strings.Contains(body, "<strong>S3Only</strong>") ||
		!strings.Contains(body, "<mark>{&#34;Sid&#34;:&#34;OnlyS3&#34;,") {
		t.Errorf("the boundary's statement is not marked: %d %s", code, body)
	}
}

// TestConsolePolicyPagerAfterPost: the policy page shown again after a
// refused operation pages its attached entities from the policy's page,
// not from the operation's POST-only address.
func TestConsolePolicyPagerAfterPost(t *testing.T) {
	b := startConsoleNode(t)
	b.signIn("admin")
	b.iam("Action=CreatePolicy&Version=2010-05-08&PolicyName=Wide&PolicyDocument=" +
		url.QueryEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`))
	arn := "arn:aws:iam::" + testAccount + ":policy/Wide"
	for i := range 51 {
		name := fmt.Sprintf("u%02d", i)
		b.iam("Action=CreateUser&Version=2010-05-08&UserName=" + name)
		b.iam("Action=AttachUserPolicy&Version=2010-05-08&UserName=" + name + "&PolicyArn=" + url.QueryEscape(arn))
	}
	b.get("/console/policies/view?arn=" + url.QueryEscape(arn))
	code, body := b.post("/console/policies/create-version?arn="+url.QueryEscape(arn), url.Values{"PolicyDocument": {`{"Statement":[`}})
	if code != http.StatusBadRequest || !strings.Contains(body, `rel="next"`) {
		t.Fatalf("refused version: %d, no next page link: %s", code, body)
	}
	if !strings.Contains(body, `<a href="/console/policies/view?arn=`+url.QueryEscape(arn)) {
		t.Errorf("the next page link is not the policy page's: %s", body[strings.Index(body, `class="pager"`):])
	}
}
