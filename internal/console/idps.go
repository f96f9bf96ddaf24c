package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/brevet-dev/brevet/internal/awsquery/iamapi"
)

// idpsRoutes registers the identity provider pages.
func (h *Handler) idpsRoutes(m *http.ServeMux) {
	h.page(m, "GET /console/idps", h.idpsList)
	h.page(m, "GET /console/idps/new", h.idpsNew)
	h.page(m, "POST /console/idps/new", h.idpsNewPost)
	h.page(m, "GET /console/idps/view", h.idpsView)
	h.page(m, "POST /console/idps/delete", h.idpsDelete)
}

// idpsList lists the account's OIDC and SAML providers (neither list
// action pages: IAM bounds each at 100 providers).
func (h *Handler) idpsList(w http.ResponseWriter, r *http.Request, s *session) error {
	oidc, err := call(h, r, s, iamapi.ListOpenIDConnectProviders, nil)
	if err != nil {
		return err
	}
	saml, err := call(h, r, s, iamapi.ListSAMLProviders, nil)
	if err != nil {
		return err
	}
	return h.render(w, r, s, http.StatusOK, "idps", "Identity providers", "idps",
		map[string]any{"OIDC": oidc.OpenIDConnectProviderList, "SAML": saml.SAMLProviderList})
}

// idpForm is the create form's state.
type idpForm struct {
	Type                        string // "oidc" or "saml"
	Url, ClientIDs, Thumbprints string
	Name, Metadata              string
	Tags                        []iamapi.Tag
	Error                       *pageError
}

// TagRows are the tags typed and empty rows to add more.
func (f *idpForm) TagRows() []iamapi.Tag {
	return append(append([]iamapi.Tag{}, f.Tags...), make([]iamapi.Tag, 2)...)
}

// idpsNew shows the form to add a provider of ?type=oidc|saml.
func (h *Handler) idpsNew(w http.ResponseWriter, r *http.Request, s *session) error {
	f := &idpForm{Type: r.URL.Query().Get("type")}
	if f.Type != "saml" {
		f.Type = "oidc"
	}
	return h.render(w, r, s, http.StatusOK, "idps_new", "Add identity provider", "idps", f)
}

// formLines splits a text area's value into its non-empty lines (commas
// separate too).
func formLines(v string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// idpsNewPost creates the provider (CreateOpenIDConnectProvider or
// CreateSAMLProvider).
func (h *Handler) idpsNewPost(w http.ResponseWriter, r *http.Request, s *session) error {
	f := &idpForm{Type: r.PostFormValue("type"), Url: strings.TrimSpace(r.PostFormValue("Url")),
		ClientIDs: r.PostFormValue("ClientIDList"), Thumbprints: r.PostFormValue("ThumbprintList"),
		Name: strings.TrimSpace(r.PostFormValue("Name")), Metadata: r.PostFormValue("SAMLMetadataDocument")}
	f.Tags = postedTags(r)
	v := url.Values{}
	setTagParams(v, f.Tags)
	var arn string
	var err error
	if f.Type == "saml" {
		v.Set("Name", f.Name)
		v.Set("SAMLMetadataDocument", f.Metadata)
		var out *iamapi.CreateSAMLProviderResponse
		if out, err = call(h, r, s, iamapi.CreateSAMLProvider, v); err == nil {
			arn = out.SAMLProviderArn
		}
	} else {
		f.Type = "oidc"
		v.Set("Url", f.Url)
		for i, c := range formLines(f.ClientIDs) {
			v.Set("ClientIDList.member."+strconv.Itoa(i+1), c)
		}
		for i, t := range formLines(f.Thumbprints) {
			v.Set("ThumbprintList.member."+strconv.Itoa(i+1), t)
		}
		var out *iamapi.CreateOpenIDConnectProviderResponse
		if out, err = call(h, r, s, iamapi.CreateOpenIDConnectProvider, v); err == nil {
			arn = out.OpenIDConnectProviderArn
		}
	}
	if err != nil {
		pe, ok := formError(err)
		if !ok {
			return err
		}
		f.Error = pe
		return h.render(w, r, s, pe.Status, "idps_new", "Add identity provider", "idps", f)
	}
	return h.seeOther(w, r, "/console/idps/view?arn="+url.QueryEscape(arn), "Identity provider "+arn+" added.")
}

// isOIDC reports whether arn names an OIDC provider (else a SAML one).
func isOIDC(arn string) bool { return strings.Contains(arn, ":oidc-provider/") }

// idpsView shows one provider (GetOpenIDConnectProvider or
// GetSAMLProvider).
func (h *Handler) idpsView(w http.ResponseWriter, r *http.Request, s *session) error {
	arn := r.URL.Query().Get("arn")
	data := map[string]any{"Arn": arn}
	if isOIDC(arn) {
		out, err := call(h, r, s, iamapi.GetOpenIDConnectProvider, url.Values{"OpenIDConnectProviderArn": {arn}})
		if err != nil {
			return err
		}
		data["OIDC"] = out
	} else {
		out, err := call(h, r, s, iamapi.GetSAMLProvider, url.Values{"SAMLProviderArn": {arn}})
		if err != nil {
			return err
		}
		data["SAML"] = out
	}
	return h.render(w, r, s, http.StatusOK, "idps_view", "Identity provider", "idps", data)
}

// idpsDelete deletes the provider the form's arn names.
func (h *Handler) idpsDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	arn := r.FormValue("arn") // the form's, or ?arn= as the view page's address has it
	var err error
	if isOIDC(arn) {
		_, err = call(h, r, s, iamapi.DeleteOpenIDConnectProvider, url.Values{"OpenIDConnectProviderArn": {arn}})
	} else {
		_, err = call(h, r, s, iamapi.DeleteSAMLProvider, url.Values{"SAMLProviderArn": {arn}})
	}
	if err != nil {
		return err
	}
	return h.seeOther(w, r, "/console/idps", "Identity provider "+arn+" deleted.")
}
