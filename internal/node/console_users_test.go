package node

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/brevet-dev/brevet/internal/credential/totp"
	"github.com/brevet-dev/brevet/internal/sigv4"
)

// usersConsole drives the users and groups pages with consoleBrowser.
type usersConsole struct{ *consoleBrowser }

// form posts a form of key, value pairs with the page's CSRF token.
func (e usersConsole) form(path string, kv ...string) (int, string) {
	e.t.Helper()
	f := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	return e.post(path, f)
}

// must checks a page's status and that it holds each of want.
func must(t *testing.T, what string, code int, body string, status int, want ...string) {
	t.Helper()
	if code != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, code, status, body)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s: the page has no %q\n%s", what, w, body)
		}
	}
}

var secretRE = regexp.MustCompile(`id="secret-access-key">([^<]+)<`)
var keyIDRE = regexp.MustCompile(`id="access-key-id">([^<]+)<`)

// TestConsoleUsersAndGroups drives the users and groups pages of the
// console as a browser does: a group, a user created with a password, a
// group, a managed policy, a tag and an access key (shown once, and
// working), its tabs, an inline policy, a virtual MFA device enabled with
// two codes, access key and password changes, deletion; a form without
// its CSRF token changes nothing; names, tags and policy text are
// escaped.
func TestConsoleUsersAndGroups(t *testing.T) {
	e := usersConsole{startConsoleNode(t)}
	e.signIn("admin")
	const evil = `</script><img src=x onerror=alert(1)>`
	var keyID, secret string

	t.Run("create group", func(t *testing.T) {
		code, body := e.get("/console/groups/new")
		must(t, "new group form", code, body, http.StatusOK, `name="GroupName"`, "Create group")
		code, body = e.form("/console/groups/new", "GroupName", "devs", "Path", "/eng/", "PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
		must(t, "create group", code, body, http.StatusOK, "Group devs created.", "<h1>User group devs</h1>", "IAMReadOnlyAccess")
		code, body = e.get("/console/groups")
		must(t, "groups list", code, body, http.StatusOK, `href="/console/groups/devs"`, "/eng/")
		code, body = e.form("/console/groups/new", "GroupName", "devs")
		must(t, "duplicate group", code, body, http.StatusConflict, "EntityAlreadyExists", `role="alert"`, `value="devs"`)
	})

	t.Run("create user", func(t *testing.T) {
		code, body := e.get("/console/users/new")
		must(t, "new user form", code, body, http.StatusOK, `name="UserName"`, `name="CreateAccessKey"`, `value="devs"`, `for="UserName"`)
		// IAM refuses a tag value with < or >: the form comes back with
		// it, escaped, and the error.
		code, body = e.form("/console/users/new", "UserName", "alice", "Password", "Alice-Passw0rd-Long!", "GroupName", "devs",
			"Tags.member.1.Key", "team", "Tags.member.1.Value", evil)
		must(t, "a tag IAM refuses", code, body, http.StatusBadRequest, "ValidationError", `role="alert"`,
			`value="&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"`, `value="devs" checked`)
		if strings.Contains(body, "<img src=x") || strings.Contains(body, "Alice-Passw0rd-Long!") {
			t.Error("the form shows the tag unescaped, or the password")
		}
		code, body = e.form("/console/users/new", "UserName", "alice", "Path", "/eng/", "Password", "Alice-Passw0rd-Long!",
			"PasswordResetRequired", "true", "CreateAccessKey", "true", "GroupName", "devs",
			"PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess", "Tags.member.1.Key", "team", "Tags.member.1.Value", "a+b=c")
		must(t, "create user", code, body, http.StatusOK, "User alice created", "Console password set.", "Added to group devs.",
			"Policy arn:aws:iam::aws:policy/IAMReadOnlyAccess attached.", `id="credentials-file"`, "[default]\naws_access_key_id = ",
			"Download credentials file", `src="/console/static/users.js"`)
		if strings.Contains(body, "Alice-Passw0rd-Long!") {
			t.Error("the page shows the password")
		}
		m, k := secretRE.FindStringSubmatch(body), keyIDRE.FindStringSubmatch(body)
		if m == nil || k == nil {
			t.Fatalf("no key on the page: %s", body)
		}
		keyID, secret = html.UnescapeString(k[1]), html.UnescapeString(m[1])
		file := regexp.MustCompile(`(?s)<pre id="credentials-file"[^>]*>(.*?)</pre>`).FindStringSubmatch(body)
		if want := "[default]\naws_access_key_id = " + keyID + "\naws_secret_access_key = " + secret + "\n"; file == nil || html.UnescapeString(file[1]) != want {
			t.Errorf("the credentials file is %q, want %q", file, want)
		}
		code, out := signedPostTo(t, e.api, e.n.URL(), "sts", sigv4.Credentials{AccessKeyID: keyID, SecretAccessKey: secret},
			"Action=GetCallerIdentity&Version=2011-06-15")
		must(t, "the new key", code, out, http.StatusOK, "user/eng/alice")
		code, body = e.get("/console/users")
		must(t, "users list", code, body, http.StatusOK, `href="/console/users/alice"`, "/eng/", `<th scope="col">Password last used</th>`)
	})

	t.Run("user tabs", func(t *testing.T) {
		for _, c := range []struct{ tab, want string }{
			{"permissions", "IAMReadOnlyAccess"},
			{"groups", `href="/console/groups/devs"`},
			{"tags", "<td>team</td><td>a&#43;b=c</td>"},
			{"credentials", keyID},
		} {
			code, body := e.get("/console/users/alice?tab=" + c.tab)
			must(t, c.tab, code, body, http.StatusOK, c.want, "arn:aws:iam::"+testAccount+":user/eng/alice")
			if strings.Contains(html.UnescapeString(body), secret) {
				t.Errorf("%s: the secret access key is shown again", c.tab)
			}
		}
		code, body := e.get("/console/users/alice?tab=credentials")
		must(t, "credentials", code, body, http.StatusOK, "a new password is required at next sign-in", "Create access key", "Assign MFA device")
	})

	t.Run("csrf", func(t *testing.T) {
		for _, f := range []url.Values{{"csrf": {""}, "Key": {"k"}, "Value": {"v"}}, {"csrf": {"wrong"}, "Key": {"k"}, "Value": {"v"}}} {
			code, body := e.post("/console/users/alice/tag", f)
			must(t, "tag without a token", code, body, http.StatusForbidden, "InvalidCSRFToken")
		}
		code, body := e.get("/console/users/alice?tab=tags")
		must(t, "tags", code, body, http.StatusOK)
		if strings.Contains(body, "<td>k</td>") {
			t.Error("a POST without the CSRF token changed the user")
		}
	})

	t.Run("tags", func(t *testing.T) {
		code, body := e.form("/console/users/alice/tag", "Key", "env", "Value", "prod")
		must(t, "tag", code, body, http.StatusOK, "Tag env saved.", "<td>env</td><td>prod</td>")
		code, body = e.form("/console/users/alice/untag", "Key", "env")
		must(t, "untag", code, body, http.StatusOK, "Tag env removed.")
		if strings.Contains(body, "<td>env</td>") {
			t.Error("the tag is still shown")
		}
	})

	t.Run("groups", func(t *testing.T) {
		code, body := e.form("/console/users/alice/add-group", "GroupName", "nope")
		must(t, "add to a missing group", code, body, http.StatusNotFound, "NoSuchEntity", `role="alert"`)
		code, body = e.get("/console/groups/devs")
		must(t, "group page", code, body, http.StatusOK, `href="/console/users/alice"`, "IAMReadOnlyAccess", "Add user")
		code, body = e.form("/console/groups/devs/remove-user", "UserName", "alice")
		must(t, "remove from group", code, body, http.StatusOK, "User alice removed.", "No users.")
		code, body = e.form("/console/groups/devs/put-policy", "PolicyName", "g1",
			"PolicyDocument", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
		must(t, "group inline policy", code, body, http.StatusOK, "Inline policy g1 saved.", "<td>g1</td>")
	})

	t.Run("policies", func(t *testing.T) {
		code, body := e.get("/console/users/alice/inline-policy/new")
		must(t, "editor", code, body, http.StatusOK, `name="PolicyName"`, `name="PolicyDocument"`)
		for _, page := range []string{"/console/users/alice/inline-policy/new", "/console/groups/devs/inline-policy/new"} {
			// A new document has no statement: an empty placeholder one is invalid until cleared.
			code, body := e.get(page)
			must(t, page, code, body, http.StatusOK, `&#34;Statement&#34;: []`)
			if strings.Contains(body, `&#34;Action&#34;`) {
				t.Errorf("%s starts with a placeholder statement", page)
			}
		}
		const doc = `{"Version":"2012-10-17","Statement":[{"Sid":"ReadBuckets","Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`
		code, body = e.form("/console/users/alice/put-policy", "PolicyName", "read", "PolicyDocument", doc)
		must(t, "put policy", code, body, http.StatusOK, "Inline policy read saved.", "<td>read</td>")
		code, body = e.get("/console/users/alice/inline-policy/new?name=read")
		must(t, "edit policy", code, body, http.StatusOK, "ReadBuckets", "Edit inline policy read")
		withHTML := `{"Version":"2012-10-17","Statement":[{"Sid":"<b>x</b>","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/` + evil + `"}]}`
		code, body = e.form("/console/users/alice/put-policy", "PolicyName", "html", "PolicyDocument", withHTML)
		must(t, "a policy with HTML", code, body, http.StatusOK, "<td>html</td>")
		code, body = e.get("/console/users/alice/inline-policy/new?name=html")
		must(t, "edit the policy with HTML", code, body, http.StatusOK, html.EscapeString(evil), "&lt;b&gt;x&lt;/b&gt;")
		if strings.Contains(body, evil) || strings.Contains(body, "<b>x</b>") {
			t.Error("the policy document is not escaped")
		}
		e.form("/console/users/alice/delete-policy", "PolicyName", "html")
		code, body = e.form("/console/users/alice/delete-policy", "PolicyName", "read")
		must(t, "delete policy", code, body, http.StatusOK, "Inline policy read deleted.", "No inline policies.")
		code, body = e.form("/console/users/alice/boundary", "PermissionsBoundary", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
		must(t, "boundary", code, body, http.StatusOK, "Permissions boundary set", "Remove permissions boundary")
		code, body = e.form("/console/users/alice/delete-boundary")
		must(t, "delete boundary", code, body, http.StatusOK, "Permissions boundary removed.", "Not set")
	})

	t.Run("mfa", func(t *testing.T) {
		code, body := e.form("/console/users/alice/create-mfa", "VirtualMFADeviceName", "alice-phone")
		must(t, "create mfa", code, body, http.StatusOK, `src="data:image/png;base64,iVBORw0KGgo`, `alt="QR code for`, `name="AuthenticationCode1"`)
		seedM := regexp.MustCompile(`id="seed">([A-Z2-7=]+)<`).FindStringSubmatch(body)
		snM := regexp.MustCompile(`name="SerialNumber" value="([^"]+)"`).FindStringSubmatch(body)
		if seedM == nil || snM == nil {
			t.Fatalf("no seed or serial number: %s", body)
		}
		seed, err := totp.ParseBase32(seedM[1])
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		code, body = e.form("/console/users/alice/enable-mfa", "SerialNumber", snM[1],
			"AuthenticationCode1", totp.Code(seed, now.Add(-30*time.Second)), "AuthenticationCode2", totp.Code(seed, now))
		must(t, "enable mfa", code, body, http.StatusOK, "MFA device enabled.", snM[1])
		code, body = e.form("/console/users/alice/deactivate-mfa", "SerialNumber", snM[1])
		must(t, "remove mfa", code, body, http.StatusOK, "removed.", "No MFA devices.")
	})

	t.Run("credentials", func(t *testing.T) {
		code, body := e.form("/console/users/alice/update-key", "AccessKeyId", keyID, "Status", "Inactive")
		must(t, "deactivate key", code, body, http.StatusOK, "is now inactive.", "Activate")
		code, body = e.form("/console/users/alice/create-key")
		must(t, "create key", code, body, http.StatusOK, "Access key created", `id="secret-access-key"`, "Download credentials file")
		code, body = e.form("/console/users/alice/delete-key", "AccessKeyId", keyID)
		must(t, "delete key", code, body, http.StatusOK, "deleted.")
		code, body = e.form("/console/users/alice/password", "Password", "An0ther-Passw0rd-Long!")
		must(t, "password", code, body, http.StatusOK, "Console password set.", "Enabled since")
		code, body = e.form("/console/users/alice/delete-password")
		must(t, "delete password", code, body, http.StatusOK, "Console password removed.", "Not enabled")
	})

	t.Run("pagination", func(t *testing.T) {
		for i := range 50 {
			e.iam(fmt.Sprintf("Action=CreateUser&Version=2010-05-08&UserName=page-%02d", i))
		}
		code, body := e.get("/console/users")
		must(t, "first page", code, body, http.StatusOK, `rel="next"`, "page-00")
		m := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no next page link")
		}
		code, body = e.get(html.UnescapeString(m[1]))
		must(t, "second page", code, body, http.StatusOK, "page-49", "First page")
		if strings.Contains(body, "page-00") || strings.Contains(body, `rel="next"`) {
			t.Error("the second page repeats the first, or has a next page")
		}
	})

	t.Run("delete", func(t *testing.T) {
		code, body := e.form("/console/users/alice/delete")
		must(t, "delete with attachments", code, body, http.StatusConflict, "DeleteConflict", `role="alert"`)
		code, body = e.form("/console/users/alice/detach-policy", "PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
		must(t, "detach", code, body, http.StatusOK, "detached.")
		code, body = e.get("/console/users/alice?tab=credentials")
		must(t, "credentials", code, body, http.StatusOK)
		for _, m := range regexp.MustCompile(`name="AccessKeyId" value="([^"]+)"`).FindAllStringSubmatch(body, -1) {
			e.form("/console/users/alice/delete-key", "AccessKeyId", m[1])
		}
		code, body = e.form("/console/users/alice/delete")
		must(t, "delete user", code, body, http.StatusOK, "User alice deleted.", "<h1>Users</h1>")
		code, body = e.get("/console/users/alice")
		must(t, "deleted user", code, body, http.StatusNotFound, "NoSuchEntity")
		e.form("/console/groups/devs/delete-policy", "PolicyName", "g1")
		e.form("/console/groups/devs/detach-policy", "PolicyArn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
		code, body = e.form("/console/groups/devs/delete")
		must(t, "delete group", code, body, http.StatusOK, "Group devs deleted.")
	})

	t.Run("denied", func(t *testing.T) {
		e.iam("Action=CreateUser&Version=2010-05-08&UserName=reader")
		e.iam("Action=AttachUserPolicy&Version=2010-05-08&UserName=reader&PolicyArn=" + url.QueryEscape("arn:aws:iam::aws:policy/IAMReadOnlyAccess"))
		e.signIn("reader")
		code, body := e.get("/console/users/new")
		must(t, "the form, for a reader", code, body, http.StatusOK, "Create user")
		code, body = e.form("/console/users/new", "UserName", "bob")
		must(t, "create, for a reader", code, body, http.StatusForbidden, "AccessDenied", "iam:CreateUser", `role="alert"`)
		code, body = e.get("/console/users/reader?tab=credentials")
		must(t, "credentials, for a reader", code, body, http.StatusOK, "Create access key", "Assign MFA device")
		code, body = e.form("/console/users/reader/create-key")
		must(t, "create a key, for a reader", code, body, http.StatusForbidden, "AccessDenied", "iam:CreateAccessKey")
	})
}
