package console

import (
	"net/http"

	"github.com/brevet-dev/brevet/internal/sso"
)

// idpsRoutes registers the identity provider pages.
func (h *Handler) idpsRoutes(m *http.ServeMux) {}

// idpLogin starts a console session for a person who signed in with an
// identity provider: they choose one of the roles assigned to them.
func (h *Handler) idpLogin(w http.ResponseWriter, r *http.Request, id sso.Identity, next string) {
	h.renderError(w, r, nil, &pageError{Status: http.StatusForbidden, Code: "AccessDenied",
		Message: "Only IAM users can sign in to the console yet."})
}

// loginPost starts the console session of the role a person who signed
// in with an identity provider chose on idpLogin's page.
func (h *Handler) loginPost(w http.ResponseWriter, r *http.Request) {
	h.renderError(w, r, nil, &pageError{Status: http.StatusForbidden, Code: "AccessDenied",
		Message: "Only IAM users can sign in to the console yet."})
}
