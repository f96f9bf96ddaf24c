package console

import "net/http"

// policiesRoutes registers the policies pages.
func (h *Handler) policiesRoutes(m *http.ServeMux) {}
