package console

import "net/http"

// rolesRoutes registers the roles pages.
func (h *Handler) rolesRoutes(m *http.ServeMux) {}
