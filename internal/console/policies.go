package console

import "net/http"

// policiesRoutes registers the policies pages, and the policy editor's
// endpoints (policyeditor.go) every page that edits a document uses.
func (h *Handler) policiesRoutes(m *http.ServeMux) {
	h.editorRoutes(m)
}
