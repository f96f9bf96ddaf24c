package console

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
)

// usersRoutes registers the users pages.
func (h *Handler) usersRoutes(m *http.ServeMux) {
	h.page(m, "GET /console/users", h.usersList)
	h.page(m, "GET /console/users/new", h.userNewForm)
	h.page(m, "POST /console/users/new", h.userCreate)
	h.page(m, "GET /console/users/{name}", h.userDetail)
	h.page(m, "GET /console/users/{name}/inline-policy/new", h.userPolicyForm)
	h.page(m, "POST /console/users/{name}/{op}", h.userOp)
}

// usersPage is the users list.
type usersPage struct {
	Users []iamapi.User
	Pager pager
}

// usersList shows a page of the account's users (ListUsers).
func (h *Handler) usersList(w http.ResponseWriter, r *http.Request, s *session) error {
	out, err := call(h, r, s, iamapi.ListUsers, listParams(r))
	if err != nil {
		return err
	}
	return h.render(w, r, s, http.StatusOK, "users", "Users", "users",
		usersPage{Users: out.Users, Pager: newPager(r, nextMarker(out.IsTruncated, out.Marker))})
}

// userForm is the create-user form, as shown and as posted back (never
// the password).
type userForm struct {
	UserName, Path, PermissionsBoundary, PolicyArn string
	PasswordResetRequired, CreateAccessKey         bool
	Groups                                         []groupChoice
	// MoreGroups: the account has more groups than the form lists; one
	// more may be typed by name.
	MoreGroups bool
	OtherGroup string
	Tags       []tagRow
	Error      *pageError
}

// groupChoice is a group the form offers to add the user to.
type groupChoice struct {
	Name    string
	Checked bool
}

// userNewForm shows the empty create-user form.
func (h *Handler) userNewForm(w http.ResponseWriter, r *http.Request, s *session) error {
	f := &userForm{Tags: formTags(r)}
	return h.renderUserForm(w, r, s, http.StatusOK, f, nil)
}

// renderUserForm shows the create-user form with the account's first
// page of groups to choose from.
func (h *Handler) renderUserForm(w http.ResponseWriter, r *http.Request, s *session, status int, f *userForm, checked map[string]bool) error {
	out, err := call(h, r, s, iamapi.ListGroups, url.Values{"MaxItems": {strconv.Itoa(PageSize)}})
	if err != nil {
		return err
	}
	for _, g := range out.Groups {
		f.Groups = append(f.Groups, groupChoice{Name: g.GroupName, Checked: checked[g.GroupName]})
	}
	f.MoreGroups = nextMarker(out.IsTruncated, out.Marker) != ""
	return h.render(w, r, s, status, "users_new", "Create user", "users", f)
}

// setTags adds the non-empty tags to p as the Query's Tags list.
func setTags(p url.Values, tags []tagRow) {
	n := 0
	for _, t := range tags {
		if t.Key = strings.TrimSpace(t.Key); t.Key == "" {
			continue
		}
		n++
		p.Set("Tags.member."+strconv.Itoa(n)+".Key", t.Key)
		p.Set("Tags.member."+strconv.Itoa(n)+".Value", t.Value)
	}
}

// fields splits a list typed one per line (or space separated).
func fields(s string) []string { return strings.Fields(s) }

// maxFormItems bounds the groups or policies one create form may name,
// each of which costs an API call: twice what IAM lets a user or a group
// have (10 groups, 10 attached managed policies), so that IAM still says
// why 11 are too many, but a form cannot fan out into thousands of calls.
const maxFormItems = 20

// tooMany is the form error of a create form naming more than
// maxFormItems of what (groups, policies); nil when it names fewer.
func tooMany(what string, n int) *pageError {
	if n <= maxFormItems {
		return nil
	}
	return &pageError{Status: http.StatusBadRequest, Code: "LimitExceeded",
		Message: "The form names " + strconv.Itoa(n) + " " + what + "; at most " + strconv.Itoa(maxFormItems) + " can be given at once."}
}

// createdPage is what a create form's POST shows when it has something to
// show once (a new secret) or a later step failed: every step that was
// done, then the error, then the key.
type createdPage struct {
	// Done lists what was created, in order.
	Done  []string
	Error *pageError
	// Link is the new entity's page.
	Link, LinkText string
	Key            *iamapi.AccessKey
}

// userCreate creates the user the form describes (CreateUser), then does
// the further steps it asked for (userCreateSteps); a secret to show once
// or a failed step is shown on a page, anything else redirects to the
// new user's page.
func (h *Handler) userCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := r.ParseForm(); err != nil {
		return errBadRequest
	}
	f, groups, checked := postedUserForm(r)
	showForm := func(pe *pageError) error {
		f.Error = pe
		return h.renderUserForm(w, r, s, pe.Status, f, checked)
	}
	if pe := cmp.Or(tooMany("groups", len(groups)), tooMany("policies", len(fields(f.PolicyArn)))); pe != nil {
		return showForm(pe)
	}
	p := url.Values{"UserName": {f.UserName}}
	if f.Path != "" {
		p.Set("Path", f.Path)
	}
	if f.PermissionsBoundary != "" {
		p.Set("PermissionsBoundary", f.PermissionsBoundary)
	}
	setTags(p, f.Tags)
	out, err := call(h, r, s, iamapi.CreateUser, p)
	if err != nil {
		return h.opFailed(w, r, s, err, showForm)
	}
	name := out.User.UserName
	res := &createdPage{Link: "/console/users/" + url.PathEscape(name), LinkText: "Go to user " + name}
	res.Done = append(res.Done, "User "+name+" created ("+out.User.Arn+").")
	err = h.userCreateSteps(r, s, res, name, r.PostFormValue("Password"), f, groups)
	if err == nil && res.Key == nil {
		return h.seeOther(w, r, res.Link, "User "+name+" created.")
	}
	status := http.StatusOK
	if err != nil {
		res.Error = h.asPageError(r, err)
		status = res.Error.Status
	}
	return h.render(w, r, s, status, "users_created", "User "+name+" created", "users", res)
}

// postedUserForm reads the create-user form r posted (never its
// password), with the groups it names: once each, in order, and as the
// set the form shows checked when it comes back.
func postedUserForm(r *http.Request) (f *userForm, groups []string, checked map[string]bool) {
	f = &userForm{
		UserName: strings.TrimSpace(r.PostFormValue("UserName")), Path: strings.TrimSpace(r.PostFormValue("Path")),
		PermissionsBoundary: strings.TrimSpace(r.PostFormValue("PermissionsBoundary")), PolicyArn: r.PostFormValue("PolicyArn"),
		PasswordResetRequired: r.PostFormValue("PasswordResetRequired") == "true", CreateAccessKey: r.PostFormValue("CreateAccessKey") == "true",
		OtherGroup: strings.TrimSpace(r.PostFormValue("OtherGroup")), Tags: formTags(r),
	}
	checked = map[string]bool{}
	for _, g := range append(r.PostForm["GroupName"], f.OtherGroup) {
		if g = strings.TrimSpace(g); g != "" && !checked[g] {
			checked[g] = true
			groups = append(groups, g)
		}
	}
	return f, groups, checked
}

// userCreateSteps does what the create-user form asked for after
// CreateUser, one API call at a time, noting each in res; it stops at the
// first that fails.
func (h *Handler) userCreateSteps(r *http.Request, s *session, res *createdPage, name, password string, f *userForm, groups []string) error {
	if password != "" {
		p := url.Values{"UserName": {name}, "Password": {password}}
		if f.PasswordResetRequired {
			p.Set("PasswordResetRequired", "true")
		}
		if _, err := call(h, r, s, iamapi.CreateLoginProfile, p); err != nil {
			return err
		}
		res.Done = append(res.Done, "Console password set.")
	}
	for _, g := range groups {
		if _, err := call(h, r, s, iamapi.AddUserToGroup, url.Values{"UserName": {name}, "GroupName": {g}}); err != nil {
			return err
		}
		res.Done = append(res.Done, "Added to group "+g+".")
	}
	for _, arn := range fields(f.PolicyArn) {
		if _, err := call(h, r, s, iamapi.AttachUserPolicy, url.Values{"UserName": {name}, "PolicyArn": {arn}}); err != nil {
			return err
		}
		res.Done = append(res.Done, "Policy "+arn+" attached.")
	}
	if f.CreateAccessKey {
		out, err := call(h, r, s, iamapi.CreateAccessKey, url.Values{"UserName": {name}})
		if err != nil {
			return err
		}
		res.Key = &out.AccessKey
		res.Done = append(res.Done, "Access key "+out.AccessKey.AccessKeyId+" created.")
	}
	return nil
}

// userPage is a user's page: the summary and one tab.
type userPage struct {
	User  iamapi.User
	Tab   string
	Error *pageError

	Attached      []iamapi.AttachedPolicy
	AttachedPager pager
	Inline        []string
	InlinePager   pager

	Groups      []iamapi.Group
	GroupsPager pager

	Tags []iamapi.Tag

	Keys  []keyView
	MFA   []iamapi.MFADevice
	Login *iamapi.LoginProfile
	// ResetRequired: the login profile asks for a new password at the
	// next sign-in.
	ResetRequired bool
	// Pending is a virtual MFA device that was created but could not be
	// enabled: it may be deleted to start again.
	Pending string
}

// keyView is an access key with when it was last used.
type keyView struct {
	iamapi.AccessKeyMetadata
	LastUsed *iamapi.AccessKeyLastUsed
}

// userTabs are the tabs of a user's page.
var userTabs = map[string]bool{"permissions": true, "groups": true, "tags": true, "credentials": true}

// userDetail shows a user's page on the tab ?tab= names.
func (h *Handler) userDetail(w http.ResponseWriter, r *http.Request, s *session) error {
	return h.renderUser(w, r, s, r.PathValue("name"), r.URL.Query().Get("tab"), http.StatusOK, nil)
}

// renderUser shows user name's page on tab, with pe when an action on it
// failed.
func (h *Handler) renderUser(w http.ResponseWriter, r *http.Request, s *session, name, tab string, status int, pe *pageError) error {
	if !userTabs[tab] {
		tab = "permissions"
	}
	u, err := call(h, r, s, iamapi.GetUser, url.Values{"UserName": {name}})
	if err != nil {
		return err
	}
	d := &userPage{User: u.User, Tab: tab, Error: pe}
	if err := h.loadUserTab(r, s, d, pageAt(r, "/console/users/"+url.PathEscape(name), tab)); err != nil {
		return err
	}
	return h.render(w, r, s, status, "users_detail", "User "+u.User.UserName, "users", d)
}

// loadUserTab calls what d's tab shows.
func (h *Handler) loadUserTab(r *http.Request, s *session, d *userPage, at *url.URL) error {
	user := url.Values{"UserName": {d.User.UserName}}
	page := func(param string) url.Values { return pageParams(at, param, url.Values{"UserName": {d.User.UserName}}) }
	switch d.Tab {
	case "permissions":
		a, err := call(h, r, s, iamapi.ListAttachedUserPolicies, page("marker"))
		if err != nil {
			return err
		}
		d.Attached, d.AttachedPager = a.AttachedPolicies, pagerAt(at, "marker", nextMarker(a.IsTruncated, a.Marker))
		in, err := call(h, r, s, iamapi.ListUserPolicies, page("imarker"))
		if err != nil {
			return err
		}
		d.Inline, d.InlinePager = in.PolicyNames, pagerAt(at, "imarker", nextMarker(in.IsTruncated, in.Marker))
	case "groups":
		g, err := call(h, r, s, iamapi.ListGroupsForUser, page("marker"))
		if err != nil {
			return err
		}
		d.Groups, d.GroupsPager = g.Groups, pagerAt(at, "marker", nextMarker(g.IsTruncated, g.Marker))
	case "tags":
		t, err := call(h, r, s, iamapi.ListUserTags, user)
		if err != nil {
			return err
		}
		d.Tags = t.Tags
	case "credentials":
		return h.loadCredentials(r, s, d)
	}
	return nil
}

// loadCredentials reads a user's access keys (at most two, each with its
// last use), MFA devices and login profile.
func (h *Handler) loadCredentials(r *http.Request, s *session, d *userPage) error {
	user := url.Values{"UserName": {d.User.UserName}}
	keys, err := call(h, r, s, iamapi.ListAccessKeys, user)
	if err != nil {
		return err
	}
	for _, k := range keys.AccessKeyMetadata {
		kv := keyView{AccessKeyMetadata: k}
		lu, err := call(h, r, s, iamapi.GetAccessKeyLastUsed, url.Values{"AccessKeyId": {k.AccessKeyId}})
		if err != nil {
			return err
		}
		if lu.AccessKeyLastUsed != nil && !lu.AccessKeyLastUsed.LastUsedDate.IsZero() {
			kv.LastUsed = lu.AccessKeyLastUsed
		}
		d.Keys = append(d.Keys, kv)
	}
	mfa, err := call(h, r, s, iamapi.ListMFADevices, user)
	if err != nil {
		return err
	}
	d.MFA = mfa.MFADevices
	lp, err := call(h, r, s, iamapi.GetLoginProfile, user)
	switch {
	case err == nil:
		d.Login = &lp.LoginProfile
		d.ResetRequired = lp.LoginProfile.PasswordResetRequired != nil && *lp.LoginProfile.PasswordResetRequired
	case !noSuchEntity(err):
		return err
	}
	return nil
}

// noSuchEntity reports whether err is IAM's NoSuchEntity.
func noSuchEntity(err error) bool {
	var we *awsquery.Error
	return errors.As(err, &we) && we.Code.Name == "NoSuchEntity"
}

// policyPage is the inline policy editor of a user, a group or a role.
type policyPage struct {
	// Kind is "user", "group" or "role"; Name the entity's name.
	Kind, Name string
	// Action is where the form posts; Back the entity's page.
	Action, Back string
	PolicyName   string
	Doc          string
	// Existing: the policy exists and is being edited.
	Existing bool
	Error    *pageError
}

// emptyPolicy is the document a new inline policy starts from: no
// statement yet (a placeholder one, with no action or resource, would be
// invalid until cleared), the generator adds them.
const emptyPolicy = `{
  "Version": "2012-10-17",
  "Statement": []
}`

// userPolicyForm shows the inline policy editor of a user: empty, or
// with the policy ?name= names (GetUserPolicy).
func (h *Handler) userPolicyForm(w http.ResponseWriter, r *http.Request, s *session) error {
	name := r.PathValue("name")
	base := "/console/users/" + url.PathEscape(name)
	d := &policyPage{Kind: "user", Name: name, Action: base + "/put-policy", Back: base + "?tab=permissions", Doc: emptyPolicy}
	if pn := r.URL.Query().Get("name"); pn != "" {
		out, err := call(h, r, s, iamapi.GetUserPolicy, url.Values{"UserName": {name}, "PolicyName": {pn}})
		if err != nil {
			return err
		}
		d.PolicyName, d.Existing, d.Doc = out.PolicyName, true, decodeDocument(out.PolicyDocument)
	}
	return h.renderPolicyForm(w, r, s, http.StatusOK, d)
}

// renderPolicyForm shows the inline policy editor.
func (h *Handler) renderPolicyForm(w http.ResponseWriter, r *http.Request, s *session, status int, d *policyPage) error {
	title, nav := "Add inline policy", d.Kind+"s"
	if d.Existing {
		title = "Edit inline policy " + d.PolicyName
	}
	return h.render(w, r, s, status, "inline_policy", title, nav, d)
}

// pageOp is an action a detail page posts, on the entity name: it makes
// its API calls and says what it did, for the flash message.
type pageOp func(h *Handler, r *http.Request, s *session, name string) (string, error)

// nameOp is the pageOp that calls op with the entity's name (as
// parameter param) and the form's field (a name or an ARN, which holds no
// space: trimmed) under the same name, and says before+value+after.
func nameOp[In, Out any](op *awsquery.Operation[In, Out], param, field, before, after string) pageOp {
	return func(h *Handler, r *http.Request, s *session, name string) (string, error) {
		v := strings.TrimSpace(r.PostFormValue(field))
		_, err := call(h, r, s, op, url.Values{param: {name}, field: {v}})
		return before + v + after, err
	}
}

// userOps are the actions a user's page posts: each makes one or two API
// calls and says which tab shows the result.
var userOps = map[string]struct {
	tab string
	do  pageOp
}{
	"attach-policy": {"permissions", nameOp(iamapi.AttachUserPolicy, "UserName", "PolicyArn", "Policy ", " attached.")},
	"detach-policy": {"permissions", nameOp(iamapi.DetachUserPolicy, "UserName", "PolicyArn", "Policy ", " detached.")},
	"delete-policy": {"permissions", nameOp(iamapi.DeleteUserPolicy, "UserName", "PolicyName", "Inline policy ", " deleted.")},
	"boundary":      {"permissions", nameOp(iamapi.PutUserPermissionsBoundary, "UserName", "PermissionsBoundary", "Permissions boundary set to ", ".")},
	"delete-boundary": {"permissions", func(h *Handler, r *http.Request, s *session, name string) (string, error) {
		_, err := call(h, r, s, iamapi.DeleteUserPermissionsBoundary, url.Values{"UserName": {name}})
		return "Permissions boundary removed.", err
	}},
	"add-group":    {"groups", nameOp(iamapi.AddUserToGroup, "UserName", "GroupName", "Added to group ", ".")},
	"remove-group": {"groups", nameOp(iamapi.RemoveUserFromGroup, "UserName", "GroupName", "Removed from group ", ".")},
	"tag": {"tags", func(h *Handler, r *http.Request, s *session, name string) (string, error) {
		k := strings.TrimSpace(r.PostFormValue("Key"))
		_, err := call(h, r, s, iamapi.TagUser, url.Values{"UserName": {name}, "Tags.member.1.Key": {k}, "Tags.member.1.Value": {r.PostFormValue("Value")}})
		return "Tag " + k + " saved.", err
	}},
	"untag": {"tags", func(h *Handler, r *http.Request, s *session, name string) (string, error) {
		k := r.PostFormValue("Key")
		_, err := call(h, r, s, iamapi.UntagUser, url.Values{"UserName": {name}, "TagKeys.member.1": {k}})
		return "Tag " + k + " removed.", err
	}},
	"update-key": {"credentials", func(h *Handler, r *http.Request, s *session, name string) (string, error) {
		id, st := r.PostFormValue("AccessKeyId"), r.PostFormValue("Status")
		_, err := call(h, r, s, iamapi.UpdateAccessKey, url.Values{"UserName": {name}, "AccessKeyId": {id}, "Status": {st}})
		return "Access key " + id + " is now " + strings.ToLower(st) + ".", err
	}},
	"delete-key": {"credentials", nameOp(iamapi.DeleteAccessKey, "UserName", "AccessKeyId", "Access key ", " deleted.")},
	"enable-mfa": {"credentials", func(h *Handler, r *http.Request, s *session, name string) (string, error) {
		_, err := call(h, r, s, iamapi.EnableMFADevice, url.Values{"UserName": {name}, "SerialNumber": {r.PostFormValue("SerialNumber")},
			"AuthenticationCode1": {strings.TrimSpace(r.PostFormValue("AuthenticationCode1"))},
			"AuthenticationCode2": {strings.TrimSpace(r.PostFormValue("AuthenticationCode2"))}})
		return "MFA device enabled.", err
	}},
	"deactivate-mfa": {"credentials", func(h *Handler, r *http.Request, s *session, name string) (string, error) {
		sn := r.PostFormValue("SerialNumber")
		if _, err := call(h, r, s, iamapi.DeactivateMFADevice, url.Values{"UserName": {name}, "SerialNumber": {sn}}); err != nil {
			return "", err
		}
		if strings.Contains(sn, ":mfa/") { // a virtual device: remove it too, as IAM's console does
			if _, err := call(h, r, s, iamapi.DeleteVirtualMFADevice, url.Values{"SerialNumber": {sn}}); err != nil {
				return "", err
			}
		}
		return "MFA device " + sn + " removed.", nil
	}},
	"delete-mfa": {"credentials", func(h *Handler, r *http.Request, s *session, name string) (string, error) {
		sn := r.PostFormValue("SerialNumber")
		_, err := call(h, r, s, iamapi.DeleteVirtualMFADevice, url.Values{"SerialNumber": {sn}})
		return "MFA device " + sn + " deleted.", err
	}},
	"password": {"credentials", func(h *Handler, r *http.Request, s *session, name string) (string, error) {
		p := url.Values{"UserName": {name}, "Password": {r.PostFormValue("Password")}}
		if r.PostFormValue("PasswordResetRequired") == "true" {
			p.Set("PasswordResetRequired", "true")
		}
		_, err := call(h, r, s, iamapi.GetLoginProfile, url.Values{"UserName": {name}})
		switch {
		case err == nil:
			if !p.Has("PasswordResetRequired") {
				p.Set("PasswordResetRequired", "false")
			}
			_, err = call(h, r, s, iamapi.UpdateLoginProfile, p)
		case noSuchEntity(err):
			_, err = call(h, r, s, iamapi.CreateLoginProfile, p)
		}
		return "Console password set.", err
	}},
	"delete-password": {"credentials", func(h *Handler, r *http.Request, s *session, name string) (string, error) {
		_, err := call(h, r, s, iamapi.DeleteLoginProfile, url.Values{"UserName": {name}})
		return "Console password removed.", err
	}},
}

// userOp runs an action a user's page posted, then shows its tab; an
// error the API answers for the form's values is shown on that tab.
func (h *Handler) userOp(w http.ResponseWriter, r *http.Request, s *session) error {
	name, op := r.PathValue("name"), r.PathValue("op")
	base := "/console/users/" + url.PathEscape(name)
	switch op {
	case "delete":
		_, err := call(h, r, s, iamapi.DeleteUser, url.Values{"UserName": {name}})
		if err == nil {
			return h.seeOther(w, r, "/console/users", "User "+name+" deleted.")
		}
		return h.opFailed(w, r, s, err, func(pe *pageError) error { return h.renderUser(w, r, s, name, "permissions", pe.Status, pe) })
	case "put-policy":
		return putPolicy(h, w, r, s, &policyPage{Kind: "user", Name: name, Action: base + "/put-policy", Back: base + "?tab=permissions"},
			iamapi.PutUserPolicy, "UserName")
	case "create-key":
		out, err := call(h, r, s, iamapi.CreateAccessKey, url.Values{"UserName": {name}})
		if err != nil {
			return h.opFailed(w, r, s, err, func(pe *pageError) error { return h.renderUser(w, r, s, name, "credentials", pe.Status, pe) })
		}
		res := &createdPage{Done: []string{"Access key " + out.AccessKey.AccessKeyId + " created."}, Key: &out.AccessKey,
			Link: base + "?tab=credentials", LinkText: "Back to user " + name}
		return h.render(w, r, s, http.StatusOK, "users_created", "Access key created", "users", res)
	case "create-mfa":
		return h.createMFA(w, r, s, name)
	}
	o, ok := userOps[op]
	if !ok {
		return &pageError{Status: http.StatusNotFound, Code: "NotFound", Message: "There is no such action on a user."}
	}
	msg, err := o.do(h, r, s, name)
	if err != nil {
		if op == "enable-mfa" {
			return h.opFailed(w, r, s, err, func(pe *pageError) error { return h.renderPending(w, r, s, name, pe) })
		}
		return h.opFailed(w, r, s, err, func(pe *pageError) error { return h.renderUser(w, r, s, name, o.tab, pe.Status, pe) })
	}
	return h.seeOther(w, r, base+"?tab="+o.tab, msg)
}

// renderPending shows the credentials tab after a virtual MFA device
// could not be enabled, offering to delete it to start again.
func (h *Handler) renderPending(w http.ResponseWriter, r *http.Request, s *session, name string, pe *pageError) error {
	u, err := call(h, r, s, iamapi.GetUser, url.Values{"UserName": {name}})
	if err != nil {
		return err
	}
	d := &userPage{User: u.User, Tab: "credentials", Error: pe, Pending: r.PostFormValue("SerialNumber")}
	if err := h.loadCredentials(r, s, d); err != nil {
		return err
	}
	return h.render(w, r, s, pe.Status, "users_detail", "User "+u.User.UserName, "users", d)
}

// opFailed shows an API error the form's values caused with show (the
// page the form was on); any other error (a refusal by policy, a failure
// of the server) as the error page.
func (h *Handler) opFailed(w http.ResponseWriter, r *http.Request, s *session, err error, show func(*pageError) error) error {
	pe, ok := formError(err)
	if !ok {
		return err
	}
	return show(pe)
}

// putPolicy runs Put{User,Group,Role}Policy with the editor's form; a document
// the API refuses is shown again in the editor with the error.
func putPolicy[In any](h *Handler, w http.ResponseWriter, r *http.Request, s *session, d *policyPage, op *awsquery.Operation[In, awsquery.Empty], entity string) error {
	d.PolicyName, d.Doc = strings.TrimSpace(r.PostFormValue("PolicyName")), r.PostFormValue("PolicyDocument")
	d.Existing = r.PostFormValue("Existing") == "true"
	_, err := call(h, r, s, op, url.Values{entity: {d.Name}, "PolicyName": {d.PolicyName}, "PolicyDocument": {d.Doc}})
	if err != nil {
		return h.opFailed(w, r, s, err, func(pe *pageError) error {
			d.Error = pe
			return h.renderPolicyForm(w, r, s, pe.Status, d)
		})
	}
	return h.seeOther(w, r, d.Back, "Inline policy "+d.PolicyName+" saved.")
}
