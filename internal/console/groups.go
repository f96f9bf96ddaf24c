package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
)

// groupsRoutes registers the groups pages.
func (h *Handler) groupsRoutes(m *http.ServeMux) {
	h.page(m, "GET /console/groups", h.groupsList)
	h.page(m, "GET /console/groups/new", h.groupNewForm)
	h.page(m, "POST /console/groups/new", h.groupCreate)
	h.page(m, "GET /console/groups/{name}", h.groupDetail)
	h.page(m, "GET /console/groups/{name}/inline-policy/new", h.groupPolicyForm)
	h.page(m, "POST /console/groups/{name}/{op}", h.groupOp)
}

// groupsPage is the groups list.
type groupsPage struct {
	Groups []iamapi.Group
	Pager  pager
}

// groupsList shows a page of the account's groups (ListGroups).
func (h *Handler) groupsList(w http.ResponseWriter, r *http.Request, s *session) error {
	out, err := call(h, r, s, iamapi.ListGroups, listParams(r))
	if err != nil {
		return err
	}
	return h.render(w, r, s, http.StatusOK, "groups", "User groups", "groups",
		groupsPage{Groups: out.Groups, Pager: newPager(r, nextMarker(out.IsTruncated, out.Marker))})
}

// groupForm is the create-group form.
type groupForm struct {
	GroupName, Path, PolicyArn string
	Error                      *pageError
}

// groupNewForm shows the empty create-group form.
func (h *Handler) groupNewForm(w http.ResponseWriter, r *http.Request, s *session) error {
	return h.render(w, r, s, http.StatusOK, "groups_new", "Create user group", "groups", &groupForm{})
}

// groupCreate creates the group the form describes (CreateGroup) and
// attaches the policies it names; a failed attachment is shown with what
// was done, else the browser goes to the new group's page.
func (h *Handler) groupCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	f := &groupForm{GroupName: strings.TrimSpace(r.PostFormValue("GroupName")), Path: strings.TrimSpace(r.PostFormValue("Path")),
		PolicyArn: r.PostFormValue("PolicyArn")}
	if f.Error = tooMany("policies", len(fields(f.PolicyArn))); f.Error != nil {
		return h.render(w, r, s, f.Error.Status, "groups_new", "Create user group", "groups", f)
	}
	p := url.Values{"GroupName": {f.GroupName}}
	if f.Path != "" {
		p.Set("Path", f.Path)
	}
	out, err := call(h, r, s, iamapi.CreateGroup, p)
	if err != nil {
		return h.opFailed(w, r, s, err, func(pe *pageError) error {
			f.Error = pe
			return h.render(w, r, s, pe.Status, "groups_new", "Create user group", "groups", f)
		})
	}
	name := out.Group.GroupName
	res := &createdPage{Link: "/console/groups/" + url.PathEscape(name), LinkText: "Go to group " + name,
		Done: []string{"Group " + name + " created (" + out.Group.Arn + ")."}}
	for _, arn := range fields(f.PolicyArn) {
		if _, err := call(h, r, s, iamapi.AttachGroupPolicy, url.Values{"GroupName": {name}, "PolicyArn": {arn}}); err != nil {
			res.Error = h.asPageError(r, err)
			return h.render(w, r, s, res.Error.Status, "users_created", "Group "+name+" created", "groups", res)
		}
		res.Done = append(res.Done, "Policy "+arn+" attached.")
	}
	return h.seeOther(w, r, res.Link, "Group "+name+" created.")
}

// groupPage is a group's page: members, attached and inline policies.
type groupPage struct {
	Group         iamapi.Group
	Users         []iamapi.User
	UsersPager    pager
	Attached      []iamapi.AttachedPolicy
	AttachedPager pager
	Inline        []string
	InlinePager   pager
	Error         *pageError
}

// groupDetail shows a group's page: members, attached and inline
// policies.
func (h *Handler) groupDetail(w http.ResponseWriter, r *http.Request, s *session) error {
	return h.renderGroup(w, r, s, r.PathValue("name"), http.StatusOK, nil)
}

// renderGroup shows group name's page, with pe when an action on it
// failed.
func (h *Handler) renderGroup(w http.ResponseWriter, r *http.Request, s *session, name string, status int, pe *pageError) error {
	at := pageAt(r, "/console/groups/"+url.PathEscape(name), "")
	page := func(param string) url.Values { return pageParams(at, param, url.Values{"GroupName": {name}}) }
	g, err := call(h, r, s, iamapi.GetGroup, page("marker"))
	if err != nil {
		return err
	}
	d := &groupPage{Group: g.Group, Users: g.Users, UsersPager: pagerAt(at, "marker", nextMarker(g.IsTruncated, g.Marker)), Error: pe}
	a, err := call(h, r, s, iamapi.ListAttachedGroupPolicies, page("amarker"))
	if err != nil {
		return err
	}
	d.Attached, d.AttachedPager = a.AttachedPolicies, pagerAt(at, "amarker", nextMarker(a.IsTruncated, a.Marker))
	in, err := call(h, r, s, iamapi.ListGroupPolicies, page("imarker"))
	if err != nil {
		return err
	}
	d.Inline, d.InlinePager = in.PolicyNames, pagerAt(at, "imarker", nextMarker(in.IsTruncated, in.Marker))
	return h.render(w, r, s, status, "groups_detail", "User group "+g.Group.GroupName, "groups", d)
}

// groupPolicyForm shows the inline policy editor of a group: empty, or
// with the policy ?name= names (GetGroupPolicy).
func (h *Handler) groupPolicyForm(w http.ResponseWriter, r *http.Request, s *session) error {
	name := r.PathValue("name")
	base := "/console/groups/" + url.PathEscape(name)
	d := &policyPage{Kind: "group", Name: name, Action: base + "/put-policy", Back: base, Doc: emptyPolicy}
	if pn := r.URL.Query().Get("name"); pn != "" {
		out, err := call(h, r, s, iamapi.GetGroupPolicy, url.Values{"GroupName": {name}, "PolicyName": {pn}})
		if err != nil {
			return err
		}
		d.PolicyName, d.Existing, d.Doc = out.PolicyName, true, decodeDocument(out.PolicyDocument)
	}
	return h.renderPolicyForm(w, r, s, http.StatusOK, d)
}

// groupOps are the actions a group's page posts.
var groupOps = map[string]pageOp{
	"attach-policy": nameOp(iamapi.AttachGroupPolicy, "GroupName", "PolicyArn", "Policy ", " attached."),
	"detach-policy": nameOp(iamapi.DetachGroupPolicy, "GroupName", "PolicyArn", "Policy ", " detached."),
	"delete-policy": nameOp(iamapi.DeleteGroupPolicy, "GroupName", "PolicyName", "Inline policy ", " deleted."),
	"add-user":      nameOp(iamapi.AddUserToGroup, "GroupName", "UserName", "User ", " added."),
	"remove-user":   nameOp(iamapi.RemoveUserFromGroup, "GroupName", "UserName", "User ", " removed."),
}

// groupOp runs an action a group's page posted.
func (h *Handler) groupOp(w http.ResponseWriter, r *http.Request, s *session) error {
	name, op := r.PathValue("name"), r.PathValue("op")
	base := "/console/groups/" + url.PathEscape(name)
	show := func(pe *pageError) error { return h.renderGroup(w, r, s, name, pe.Status, pe) }
	switch op {
	case "delete":
		if _, err := call(h, r, s, iamapi.DeleteGroup, url.Values{"GroupName": {name}}); err != nil {
			return h.opFailed(w, r, s, err, show)
		}
		return h.seeOther(w, r, "/console/groups", "Group "+name+" deleted.")
	case "put-policy":
		return putPolicy(h, w, r, s, &policyPage{Kind: "group", Name: name, Action: base + "/put-policy", Back: base},
			iamapi.PutGroupPolicy, "GroupName")
	}
	do, ok := groupOps[op]
	if !ok {
		return &pageError{Status: http.StatusNotFound, Code: "NotFound", Message: "There is no such action on a group."}
	}
	msg, err := do(h, r, s, name)
	if err != nil {
		return h.opFailed(w, r, s, err, show)
	}
	return h.seeOther(w, r, base, msg)
}
