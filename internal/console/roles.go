package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/brevet-dev/brevet/internal/awsquery"
	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
)

// rolesRoutes registers the roles pages.
func (h *Handler) rolesRoutes(m *http.ServeMux) {
	h.page(m, "GET /console/roles", h.rolesList)
	h.page(m, "GET /console/roles/new", h.rolesNew)
	h.page(m, "POST /console/roles/new", h.rolesNewPost)
	h.page(m, "GET /console/roles/{name}", h.rolesDetail)
	h.page(m, "GET /console/roles/{name}/inline-policy", h.rolesInlinePolicy)
	h.page(m, "POST /console/roles/{name}/{op}", h.rolesOp)
}

// rolesList lists the account's roles, a page at a time.
func (h *Handler) rolesList(w http.ResponseWriter, r *http.Request, s *session) error {
	out, err := call(h, r, s, iamapi.ListRoles, listParams(r))
	if err != nil {
		return err
	}
	var p pager
	if out.IsTruncated != nil && *out.IsTruncated {
		p = newPager(r, out.Marker)
	} else {
		p = newPager(r, "")
	}
	return h.render(w, r, s, http.StatusOK, "roles", "Roles", "roles", map[string]any{"Roles": out.Roles, "Pager": p})
}

// roleForm is the create wizard's state: the trusted entity, the role's
// own fields and the managed policies to attach.
type roleForm struct {
	Trust                 trustForm
	RoleName, Path        string
	Description           string
	MaxSessionDuration    string
	PermissionsBoundary   string
	Tags                  []iamapi.Tag
	PolicyArns            []string
	Document              string // the trust policy built from Trust
	Error                 *pageError
	OIDCProviders         []string
	SAMLProviders         []string
	LocalPolicies         []iamapi.Policy
	ServicePrincipals     []string
	SessionDurationChoice []durationChoice
}

// durationChoice is one maximum session duration the forms offer.
type durationChoice struct {
	Seconds int
	Label   string
}

var durationChoices = []durationChoice{
	{3600, "1 hour"}, {7200, "2 hours"}, {14400, "4 hours"}, {28800, "8 hours"}, {43200, "12 hours"},
}

// durationLabel names secs as 1h30m, 10h or 13h53m20s.
func durationLabel(secs int) string {
	var b strings.Builder
	for _, u := range []struct {
		n    int
		unit string
	}{{secs / 3600, "h"}, {secs % 3600 / 60, "m"}, {secs % 60, "s"}} {
		if u.n != 0 {
			b.WriteString(strconv.Itoa(u.n) + u.unit)
		}
	}
	return b.String()
}

// durationsWith are durationChoices with secs among them, in order: a
// role's maximum the list does not offer (the API takes any from 1 to 12
// hours) must be shown chosen, else saving the form would change it.
func durationsWith(secs int) []durationChoice {
	out := make([]durationChoice, 0, len(durationChoices)+1)
	for _, d := range durationChoices {
		if d.Seconds == secs {
			return durationChoices
		}
		if secs != 0 && d.Seconds > secs {
			out = append(out, durationChoice{secs, durationLabel(secs)})
			secs = 0
		}
		out = append(out, d)
	}
	if secs != 0 {
		out = append(out, durationChoice{secs, durationLabel(secs)})
	}
	return out
}

// Checked reports whether arn is among the policies to attach.
func (f *roleForm) Checked(arn string) bool {
	for _, a := range f.PolicyArns {
		if a == arn {
			return true
		}
	}
	return false
}

// OtherPolicyArns are the chosen policies not among LocalPolicies, one a
// line, for the text area.
func (f *roleForm) OtherPolicyArns() string {
	var out []string
	for _, a := range f.PolicyArns {
		local := false
		for _, p := range f.LocalPolicies {
			if p.Arn == a {
				local = true
			}
		}
		if !local {
			out = append(out, a)
		}
	}
	return strings.Join(out, "\n")
}

// OtherService is the service principal typed in, when it is not one
// the list offers.
func (f *roleForm) OtherService() string {
	for _, p := range servicePrincipals {
		if p == f.Trust.Service {
			return ""
		}
	}
	return f.Trust.Service
}

// TagRows are the tag rows the form shows: the tags typed, and empty
// rows to add more.
func (f *roleForm) TagRows() []iamapi.Tag {
	return append(append([]iamapi.Tag{}, f.Tags...), make([]iamapi.Tag, 3)...)
}

// rolesNew shows the create wizard.
func (h *Handler) rolesNew(w http.ResponseWriter, r *http.Request, s *session) error {
	f := &roleForm{Trust: trustForm{Type: trustService, Service: servicePrincipals[0], SAMLAudience: samlAudience},
		Path: "/", MaxSessionDuration: "3600"}
	return h.renderRoleForm(w, r, s, http.StatusOK, f)
}

// renderRoleForm shows the wizard's form with what the lists offer: the
// identity providers and the account's managed policies (first page).
func (h *Handler) renderRoleForm(w http.ResponseWriter, r *http.Request, s *session, status int, f *roleForm) error {
	oidc, err := call(h, r, s, iamapi.ListOpenIDConnectProviders, nil)
	if err != nil {
		return err
	}
	for _, p := range oidc.OpenIDConnectProviderList {
		f.OIDCProviders = append(f.OIDCProviders, p.Arn)
	}
	saml, err := call(h, r, s, iamapi.ListSAMLProviders, nil)
	if err != nil {
		return err
	}
	for _, p := range saml.SAMLProviderList {
		f.SAMLProviders = append(f.SAMLProviders, p.Arn)
	}
	pols, err := call(h, r, s, iamapi.ListPolicies, url.Values{"Scope": {"Local"}, "MaxItems": {strconv.Itoa(PageSize)}})
	if err != nil {
		return err
	}
	f.LocalPolicies = pols.Policies
	f.ServicePrincipals = servicePrincipals
	f.SessionDurationChoice = durationChoices
	return h.render(w, r, s, status, "roles_new", "Create role", "roles", f)
}

// readRoleForm reads the wizard's form.
func readRoleForm(r *http.Request) *roleForm {
	f := &roleForm{
		Trust:               readTrustForm(r),
		RoleName:            strings.TrimSpace(r.PostFormValue("RoleName")),
		Path:                strings.TrimSpace(r.PostFormValue("Path")),
		Description:         r.PostFormValue("Description"),
		MaxSessionDuration:  r.PostFormValue("MaxSessionDuration"),
		PermissionsBoundary: strings.TrimSpace(r.PostFormValue("PermissionsBoundary")),
	}
	if f.Path == "" {
		f.Path = "/"
	}
	f.Tags = postedTags(r)
	seen := map[string]bool{}
	add := func(a string) {
		if a = strings.TrimSpace(a); a != "" && !seen[a] {
			seen[a] = true
			f.PolicyArns = append(f.PolicyArns, a)
		}
	}
	for _, a := range r.PostForm["PolicyArn"] {
		add(a)
	}
	for _, a := range strings.Split(r.PostFormValue("PolicyArns"), "\n") {
		add(a)
	}
	return f
}

// maxRolePolicies bounds the managed policies one wizard attaches (IAM's
// default quota per role).
const maxRolePolicies = 20

// rolesNewPost runs the wizard's steps: "review" builds the trust policy
// and shows everything for review, "create" creates the role, "edit"
// goes back to the form.
func (h *Handler) rolesNewPost(w http.ResponseWriter, r *http.Request, s *session) error {
	f := readRoleForm(r)
	step := r.PostFormValue("step")
	if step == "edit" {
		return h.renderRoleForm(w, r, s, http.StatusOK, f)
	}
	doc, err := f.Trust.document()
	if err == nil && f.RoleName == "" {
		err = badInput("Type the role's name.")
	}
	if err == nil && len(f.PolicyArns) > maxRolePolicies {
		err = badInput("A role can have at most " + strconv.Itoa(maxRolePolicies) + " managed policies.")
	}
	if err != nil {
		pe := h.asPageError(r, err)
		if pe.Status >= 500 {
			return err
		}
		f.Error = pe
		return h.renderRoleForm(w, r, s, pe.Status, f)
	}
	f.Document = doc
	if step != "create" {
		return h.render(w, r, s, http.StatusOK, "roles_review", "Review and create", "roles", f)
	}
	if _, err := call(h, r, s, iamapi.CreateRole, f.createParams()); err != nil {
		if pe, ok := formError(err); ok {
			f.Error = pe
			return h.render(w, r, s, pe.Status, "roles_review", "Review and create", "roles", f)
		}
		return err
	}
	for _, arn := range f.PolicyArns {
		if _, err := call(h, r, s, iamapi.AttachRolePolicy, url.Values{"RoleName": {f.RoleName}, "PolicyArn": {arn}}); err != nil {
			pe := h.asPageError(r, err)
			return h.seeOther(w, r, rolePath(f.RoleName, "permissions"),
				"Role "+f.RoleName+" created, but attaching "+arn+" failed: "+pe.Code+": "+pe.Message)
		}
	}
	return h.seeOther(w, r, rolePath(f.RoleName, ""), "Role "+f.RoleName+" created.")
}

// createParams are CreateRole's parameters for the reviewed form (its
// Document built).
func (f *roleForm) createParams() url.Values {
	params := url.Values{"RoleName": {f.RoleName}, "Path": {f.Path}, "AssumeRolePolicyDocument": {f.Document}}
	for k, v := range map[string]string{"Description": f.Description, "MaxSessionDuration": f.MaxSessionDuration,
		"PermissionsBoundary": f.PermissionsBoundary} {
		if v != "" {
			params.Set(k, v)
		}
	}
	setTagParams(params, f.Tags)
	return params
}

// postedTags are the tags of a form's TagKey and TagValue rows (the role
// wizard's, the identity provider form's); rows without a key are
// empty rows.
func postedTags(r *http.Request) []iamapi.Tag {
	var tags []iamapi.Tag
	keys, values := r.PostForm["TagKey"], r.PostForm["TagValue"]
	for i, k := range keys {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		v := ""
		if i < len(values) {
			v = values[i]
		}
		tags = append(tags, iamapi.Tag{Key: k, Value: v})
	}
	return tags
}

// setTagParams sets tags as a Create action's Tags parameter.
func setTagParams(params url.Values, tags []iamapi.Tag) {
	for i, t := range tags {
		n := strconv.Itoa(i + 1)
		params.Set("Tags.member."+n+".Key", t.Key)
		params.Set("Tags.member."+n+".Value", t.Value)
	}
}

// rolePath is the role's detail page, on tab when not "".
func rolePath(name, tab string) string {
	p := "/console/roles/" + url.PathEscape(name)
	if tab != "" {
		p += "?tab=" + url.QueryEscape(tab)
	}
	return p
}

// roleView is the role detail page's data.
type roleView struct {
	Role     iamapi.Role
	Tab      string
	Trust    string // the trust policy shown in the editor
	Attached []iamapi.AttachedPolicy
	Inline   []string
	// AttachedPager and InlinePager page the two lists (their markers
	// are ?amarker= and ?imarker=).
	AttachedNext, InlineNext string
	Durations                []durationChoice
	Error                    *pageError
}

// MaxSession is the role's maximum session duration in seconds.
func (v *roleView) MaxSession() int {
	if v.Role.MaxSessionDuration == nil {
		return 3600
	}
	return int(*v.Role.MaxSessionDuration)
}

// LastUsed is when the role was last used, "Never" when it was not.
func (v *roleView) LastUsed() string {
	u := v.Role.RoleLastUsed
	if u == nil || u.LastUsedDate.IsZero() {
		return "Never"
	}
	s := u.LastUsedDate.UTC().Format("2006-01-02 15:04:05 UTC")
	if u.Region != "" {
		s += " in " + u.Region
	}
	return s
}

// Boundary is the role's permissions boundary ARN, "" for none.
func (v *roleView) Boundary() string {
	if v.Role.PermissionsBoundary == nil {
		return ""
	}
	return v.Role.PermissionsBoundary.PermissionsBoundaryArn
}

// rolesDetail shows a role, on one of its tabs.
func (h *Handler) rolesDetail(w http.ResponseWriter, r *http.Request, s *session) error {
	return h.renderRole(w, r, s, http.StatusOK, r.PathValue("name"), r.URL.Query().Get("tab"), "", nil)
}

// renderRole shows role name's page on tab; trust, when not "", is the
// trust policy to show in the editor in place of the role's (a refused
// edit), pe the error to show.
func (h *Handler) renderRole(w http.ResponseWriter, r *http.Request, s *session, status int, name, tab, trust string, pe *pageError) error {
	out, err := call(h, r, s, iamapi.GetRole, url.Values{"RoleName": {name}})
	if err != nil {
		return err
	}
	v := &roleView{Role: out.Role, Tab: tab, Trust: trust, Error: pe}
	v.Durations = durationsWith(v.MaxSession())
	switch tab {
	case "trust", "tags":
	default:
		v.Tab = "permissions"
		q := r.URL.Query()
		ap := url.Values{"RoleName": {name}, "MaxItems": {strconv.Itoa(PageSize)}}
		if m := q.Get("amarker"); m != "" {
			ap.Set("Marker", m)
		}
		att, err := call(h, r, s, iamapi.ListAttachedRolePolicies, ap)
		if err != nil {
			return err
		}
		v.Attached = att.AttachedPolicies
		if att.IsTruncated != nil && *att.IsTruncated {
			v.AttachedNext = rolePath(name, "permissions") + "&amarker=" + url.QueryEscape(att.Marker)
		}
		ip := url.Values{"RoleName": {name}, "MaxItems": {strconv.Itoa(PageSize)}}
		if m := q.Get("imarker"); m != "" {
			ip.Set("Marker", m)
		}
		inl, err := call(h, r, s, iamapi.ListRolePolicies, ip)
		if err != nil {
			return err
		}
		v.Inline = inl.PolicyNames
		if inl.IsTruncated != nil && *inl.IsTruncated {
			v.InlineNext = rolePath(name, "permissions") + "&imarker=" + url.QueryEscape(inl.Marker)
		}
	}
	if v.Trust == "" {
		v.Trust = shownDocument(out.Role.AssumeRolePolicyDocument)
	}
	return h.render(w, r, s, status, "roles_detail", "Role "+out.Role.RoleName, "roles", v)
}

// shownDocument reads a policy document as IAM returns it
// (URL-encoded), indented when it is JSON.
func shownDocument(doc string) string {
	if d, err := url.QueryUnescape(doc); err == nil {
		doc = d
	}
	return indentJSON(doc)
}

// rolePolicyPage is the inline policy editor of role name, without its
// policy. The name is path-escaped in the links: it may come from the
// address, unchecked, and "../users/x" must stay one segment.
func rolePolicyPage(name string) *policyPage {
	return &policyPage{Kind: "role", Name: name, Action: "/console/roles/" + url.PathEscape(name) + "/put-policy", Back: rolePath(name, "permissions")}
}

// rolesInlinePolicy shows the editor of a role's inline policy: the one
// ?PolicyName= names, or a new one.
func (h *Handler) rolesInlinePolicy(w http.ResponseWriter, r *http.Request, s *session) error {
	name := r.PathValue("name")
	d := rolePolicyPage(name)
	d.Doc = emptyPolicy
	if pn := r.URL.Query().Get("PolicyName"); pn != "" {
		out, err := call(h, r, s, iamapi.GetRolePolicy, url.Values{"RoleName": {name}, "PolicyName": {pn}})
		if err != nil {
			return err
		}
		d.PolicyName, d.Existing, d.Doc = out.PolicyName, true, shownDocument(out.PolicyDocument)
	}
	return h.renderPolicyForm(w, r, s, http.StatusOK, d)
}

// roleOps are the POST /console/roles/{name}/{op} actions.
var roleOps = map[string]func(h *Handler, w http.ResponseWriter, r *http.Request, s *session, name string) error{
	"trust":           (*Handler).roleTrust,
	"update":          (*Handler).roleUpdate,
	"delete":          (*Handler).roleDelete,
	"attach-policy":   roleSimple(iamapi.AttachRolePolicy, "PolicyArn", "permissions", "Policy %s attached."),
	"detach-policy":   roleSimple(iamapi.DetachRolePolicy, "PolicyArn", "permissions", "Policy %s detached."),
	"delete-policy":   roleSimple(iamapi.DeleteRolePolicy, "PolicyName", "permissions", "Inline policy %s deleted."),
	"put-policy":      (*Handler).rolePutPolicy,
	"tag":             (*Handler).roleTag,
	"untag":           (*Handler).roleUntag,
	"boundary":        roleSimple(iamapi.PutRolePermissionsBoundary, "PermissionsBoundary", "permissions", "Permissions boundary %s set."),
	"delete-boundary": roleSimple(iamapi.DeleteRolePermissionsBoundary, "", "permissions", "Permissions boundary removed."),
}

// rolesOp runs one of roleOps.
func (h *Handler) rolesOp(w http.ResponseWriter, r *http.Request, s *session) error {
	op, ok := roleOps[r.PathValue("op")]
	if !ok {
		return &pageError{Status: http.StatusNotFound, Code: "NotFound", Message: "There is no such action on a role."}
	}
	return op(h, w, r, s, r.PathValue("name"))
}

// roleSimple is an op that calls one action with RoleName and the form
// field param (none when ""), then goes back to tab with msg (%s is the
// field's value).
func roleSimple[In, Out any](op *awsquery.Operation[In, Out], param, tab, msg string) func(h *Handler, w http.ResponseWriter, r *http.Request, s *session, name string) error {
	return func(h *Handler, w http.ResponseWriter, r *http.Request, s *session, name string) error {
		v, val := url.Values{"RoleName": {name}}, ""
		if param != "" {
			val = strings.TrimSpace(r.PostFormValue(param))
			v.Set(param, val)
		}
		if _, err := call(h, r, s, op, v); err != nil {
			if pe, ok := formError(err); ok {
				return h.renderRole(w, r, s, pe.Status, name, tab, "", pe)
			}
			return err
		}
		return h.seeOther(w, r, rolePath(name, tab), strings.Replace(msg, "%s", val, 1))
	}
}

// roleTrust replaces the role's trust policy (UpdateAssumeRolePolicy); a
// refused one is shown again in the editor with the API's message.
func (h *Handler) roleTrust(w http.ResponseWriter, r *http.Request, s *session, name string) error {
	doc := r.PostFormValue("PolicyDocument")
	if _, err := call(h, r, s, iamapi.UpdateAssumeRolePolicy, url.Values{"RoleName": {name}, "PolicyDocument": {doc}}); err != nil {
		if pe, ok := formError(err); ok {
			return h.renderRole(w, r, s, pe.Status, name, "trust", doc, pe)
		}
		return err
	}
	return h.seeOther(w, r, rolePath(name, "trust"), "Trust policy of "+name+" updated.")
}

// roleUpdate sets the role's description and maximum session duration
// (UpdateRole).
func (h *Handler) roleUpdate(w http.ResponseWriter, r *http.Request, s *session, name string) error {
	v := url.Values{"RoleName": {name}, "Description": {r.PostFormValue("Description")}}
	if d := strings.TrimSpace(r.PostFormValue("MaxSessionDuration")); d != "" {
		v.Set("MaxSessionDuration", d)
	}
	if _, err := call(h, r, s, iamapi.UpdateRole, v); err != nil {
		if pe, ok := formError(err); ok {
			return h.renderRole(w, r, s, pe.Status, name, "permissions", "", pe)
		}
		return err
	}
	return h.seeOther(w, r, rolePath(name, ""), "Role "+name+" updated.")
}

// roleDelete deletes the role (IAM refuses while policies are attached;
// the page says so).
func (h *Handler) roleDelete(w http.ResponseWriter, r *http.Request, s *session, name string) error {
	if _, err := call(h, r, s, iamapi.DeleteRole, url.Values{"RoleName": {name}}); err != nil {
		if pe, ok := formError(err); ok {
			return h.renderRole(w, r, s, pe.Status, name, "permissions", "", pe)
		}
		return err
	}
	return h.seeOther(w, r, "/console/roles", "Role "+name+" deleted.")
}

// rolePutPolicy saves an inline policy (PutRolePolicy); a refused one is
// shown again in the editor.
func (h *Handler) rolePutPolicy(w http.ResponseWriter, r *http.Request, s *session, name string) error {
	return putPolicy(h, w, r, s, rolePolicyPage(name), iamapi.PutRolePolicy, "RoleName")
}

// roleTag adds or replaces one tag (TagRole).
func (h *Handler) roleTag(w http.ResponseWriter, r *http.Request, s *session, name string) error {
	key := strings.TrimSpace(r.PostFormValue("Key"))
	v := url.Values{"RoleName": {name}, "Tags.member.1.Key": {key}, "Tags.member.1.Value": {r.PostFormValue("Value")}}
	if _, err := call(h, r, s, iamapi.TagRole, v); err != nil {
		if pe, ok := formError(err); ok {
			return h.renderRole(w, r, s, pe.Status, name, "tags", "", pe)
		}
		return err
	}
	return h.seeOther(w, r, rolePath(name, "tags"), "Tag "+key+" saved.")
}

// roleUntag removes one tag (UntagRole).
func (h *Handler) roleUntag(w http.ResponseWriter, r *http.Request, s *session, name string) error {
	key := r.PostFormValue("Key")
	if _, err := call(h, r, s, iamapi.UntagRole, url.Values{"RoleName": {name}, "TagKeys.member.1": {key}}); err != nil {
		if pe, ok := formError(err); ok {
			return h.renderRole(w, r, s, pe.Status, name, "tags", "", pe)
		}
		return err
	}
	return h.seeOther(w, r, rolePath(name, "tags"), "Tag "+key+" removed.")
}

// indentJSON indents a JSON document; anything else is returned as it is.
func indentJSON(doc string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(doc), "", "  "); err != nil {
		return doc
	}
	return b.String()
}
