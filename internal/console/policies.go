package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
)

// policiesRoutes registers the policies pages, and the policy editor's
// endpoints (policyeditor.go) every page that edits a document uses.
func (h *Handler) policiesRoutes(m *http.ServeMux) {
	h.editorRoutes(m)
	h.page(m, "GET /console/policies", h.policiesList)
	h.page(m, "GET /console/policies/new", h.policiesNew)
	h.page(m, "POST /console/policies/new", h.policiesCreate)
	h.page(m, "GET /console/policies/view", h.policiesView)
	h.page(m, "POST /console/policies/{op}", h.policiesOp)
}

// policyScopes are the list's filters, as ListPolicies' Scope.
var policyScopes = []string{iamapi.PolicyScopeTypeLocal, iamapi.PolicyScopeTypeAws, iamapi.PolicyScopeTypeAll}

type policiesListView struct {
	Scope    string
	Scopes   []string
	Policies []policyRow
	Pager    pager
}

// policyRow is one policy of the list.
type policyRow struct {
	iamapi.Policy
	AWSManaged bool
}

// policiesList lists managed policies, one page at a time, filtered by
// scope: customer managed (Local), AWS managed, or both.
func (h *Handler) policiesList(w http.ResponseWriter, r *http.Request, s *session) error {
	scope := r.URL.Query().Get("scope")
	if !slices.Contains(policyScopes, scope) {
		scope = iamapi.PolicyScopeTypeAll
	}
	params := listParams(r)
	params.Set("Scope", scope)
	out, err := call(h, r, s, iamapi.ListPolicies, params)
	if err != nil {
		return err
	}
	v := policiesListView{Scope: scope, Scopes: policyScopes, Policies: make([]policyRow, 0, len(out.Policies))}
	for _, p := range out.Policies {
		v.Policies = append(v.Policies, policyRow{Policy: p, AWSManaged: awsManaged(p.Arn)})
	}
	if out.IsTruncated != nil && *out.IsTruncated {
		v.Pager = newPager(r, out.Marker)
	}
	return h.render(w, r, s, http.StatusOK, "policies", "Policies", "policies", v)
}

// awsManaged reports whether arn is an AWS managed policy's.
func awsManaged(arn string) bool { return strings.HasPrefix(arn, "arn:aws:iam::aws:") }

// policyForm is the create form's fields, kept to show again with an
// error.
type policyForm struct {
	PolicyName, Path, Description, PolicyDocument string
	Tags                                          []tagRow
	Error                                         *pageError
}

type tagRow struct {
	N          int
	Key, Value string
}

// tagRows is how many tag rows the create form offers.
const tagRows = 3

// newPolicyDocument is the document a new policy starts from.
const newPolicyDocument = `{
  "Version": "2012-10-17",
  "Statement": []
}`

func (h *Handler) policiesNew(w http.ResponseWriter, r *http.Request, s *session) error {
	f := policyForm{Path: "/", PolicyDocument: newPolicyDocument}
	f.Tags = formTags(r)
	return h.render(w, r, s, http.StatusOK, "policies_new", "Create policy", "policies", &f)
}

// formTags are the tag rows of the form r posted (empty rows on a GET).
func formTags(r *http.Request) []tagRow {
	rows := make([]tagRow, tagRows)
	for i := range rows {
		n := i + 1
		rows[i] = tagRow{N: n, Key: r.PostFormValue("Tags.member." + strconv.Itoa(n) + ".Key"), Value: r.PostFormValue("Tags.member." + strconv.Itoa(n) + ".Value")}
	}
	return rows
}

// policiesCreate creates a customer managed policy (CreatePolicy).
func (h *Handler) policiesCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	f := policyForm{PolicyName: r.PostFormValue("PolicyName"), Path: r.PostFormValue("Path"),
		Description: r.PostFormValue("Description"), PolicyDocument: r.PostFormValue("PolicyDocument")}
	f.Tags = formTags(r)
	params := url.Values{"PolicyName": {f.PolicyName}, "PolicyDocument": {f.PolicyDocument}}
	if f.Path != "" {
		params.Set("Path", f.Path)
	}
	if f.Description != "" {
		params.Set("Description", f.Description)
	}
	n := 0
	for _, t := range f.Tags {
		if t.Key == "" && t.Value == "" {
			continue
		}
		n++
		params.Set("Tags.member."+strconv.Itoa(n)+".Key", t.Key)
		params.Set("Tags.member."+strconv.Itoa(n)+".Value", t.Value)
	}
	out, err := call(h, r, s, iamapi.CreatePolicy, params)
	if err != nil {
		pe, ok := formError(err)
		if !ok {
			return err
		}
		f.Error = pe
		return h.render(w, r, s, pe.Status, "policies_new", "Create policy", "policies", &f)
	}
	return h.seeOther(w, r, "/console/policies/view?arn="+url.QueryEscape(out.Policy.Arn), "Policy "+out.Policy.PolicyName+" created.")
}

// versionRow is one version of the policy.
type versionRow struct {
	VersionId  string
	CreateDate time.Time
	Default    bool
}

type policyView struct {
	Policy   *iamapi.Policy
	Version  *iamapi.PolicyVersion
	Document string // the shown version's document, indented
	// Default: the shown version is the default one.
	Default  bool
	Versions []versionRow
	Entities *iamapi.ListEntitiesForPolicyResponse
	Pager    pager
	// NewDocument is the new-version form's document.
	NewDocument string
	Error       *pageError
}

// policiesView shows one managed policy: its details, the document of
// its default version (or of ?version=), its versions, and where it is
// attached.
func (h *Handler) policiesView(w http.ResponseWriter, r *http.Request, s *session) error {
	return h.showPolicy(w, r, s, r.URL.Query().Get("arn"), http.StatusOK, nil, "")
}

// showPolicy renders the policy page, with a failed operation's error
// and the document the new-version form held.
func (h *Handler) showPolicy(w http.ResponseWriter, r *http.Request, s *session, arn string, status int, pe *pageError, newDoc string) error {
	pol, err := call(h, r, s, iamapi.GetPolicy, url.Values{"PolicyArn": {arn}})
	if err != nil {
		return err
	}
	v := &policyView{Policy: pol.Policy, Error: pe}
	vid := r.URL.Query().Get("version")
	if vid == "" {
		vid = pol.Policy.DefaultVersionId
	}
	ver, err := call(h, r, s, iamapi.GetPolicyVersion, url.Values{"PolicyArn": {arn}, "VersionId": {vid}})
	if err != nil {
		return err
	}
	v.Version = ver.PolicyVersion
	v.Document = prettyDocument(ver.PolicyVersion.Document)
	v.NewDocument = newDoc
	if newDoc == "" {
		v.NewDocument = v.Document
	}
	vers, err := call(h, r, s, iamapi.ListPolicyVersions, url.Values{"PolicyArn": {arn}, "MaxItems": {"10"}})
	if err != nil {
		return err
	}
	for _, pv := range vers.Versions {
		v.Versions = append(v.Versions, versionRow{VersionId: pv.VersionId, CreateDate: pv.CreateDate, Default: pv.VersionId == pol.Policy.DefaultVersionId})
	}
	v.Default = v.Version.VersionId == pol.Policy.DefaultVersionId
	// The attached entities page from the policy's page, also when it is
	// shown again after a POST.
	at := r.URL
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		at = &url.URL{Path: "/console/policies/view", RawQuery: url.Values{"arn": {arn}}.Encode()}
	}
	ents, err := call(h, r, s, iamapi.ListEntitiesForPolicy, pageParams(at, "marker", url.Values{"PolicyArn": {arn}}))
	if err != nil {
		return err
	}
	v.Entities = ents
	v.Pager = pagerAt(at, "marker", nextMarker(ents.IsTruncated, ents.Marker))
	return h.render(w, r, s, status, "policies_view", pol.Policy.PolicyName, "policies", v)
}

// prettyDocument decodes a document as IAM returns it (percent-encoded)
// and indents it; text that is not JSON is shown as it is.
func prettyDocument(doc string) string {
	doc = decodeDocument(doc)
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(strings.TrimSpace(doc)), "", "  "); err != nil {
		return doc
	}
	return b.String()
}

// policiesOp runs one of the policy page's forms: create-version,
// set-default, delete-version, delete. A refusal the form can explain
// shows the page again with it.
func (h *Handler) policiesOp(w http.ResponseWriter, r *http.Request, s *session) error {
	arn := r.URL.Query().Get("arn")
	back := "/console/policies/view?arn=" + url.QueryEscape(arn)
	var err error
	var msg string
	newDoc := ""
	switch r.PathValue("op") {
	case "create-version":
		newDoc = r.PostFormValue("PolicyDocument")
		params := url.Values{"PolicyArn": {arn}, "PolicyDocument": {newDoc}}
		if r.PostFormValue("SetAsDefault") == "true" {
			params.Set("SetAsDefault", "true")
		}
		var out *iamapi.CreatePolicyVersionResponse
		if out, err = call(h, r, s, iamapi.CreatePolicyVersion, params); err == nil {
			msg = "Version " + out.PolicyVersion.VersionId + " created."
		}
	case "set-default":
		vid := r.PostFormValue("VersionId")
		if _, err = call(h, r, s, iamapi.SetDefaultPolicyVersion, url.Values{"PolicyArn": {arn}, "VersionId": {vid}}); err == nil {
			msg = "Version " + vid + " is now the default."
		}
	case "delete-version":
		vid := r.PostFormValue("VersionId")
		if _, err = call(h, r, s, iamapi.DeletePolicyVersion, url.Values{"PolicyArn": {arn}, "VersionId": {vid}}); err == nil {
			msg = "Version " + vid + " deleted."
		}
	case "delete":
		if _, err = call(h, r, s, iamapi.DeletePolicy, url.Values{"PolicyArn": {arn}}); err == nil {
			return h.seeOther(w, r, "/console/policies?scope=Local", "Policy deleted.")
		}
	default:
		h.notFound(w, r)
		return nil
	}
	if err != nil {
		pe, ok := formError(err)
		if !ok {
			return err
		}
		return h.showPolicy(w, r, s, arn, pe.Status, pe, newDoc)
	}
	return h.seeOther(w, r, back, msg)
}
